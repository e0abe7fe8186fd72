// The default worker process: built-in ops only. The SDK spawns this file.
import { startWorker } from "./worker-main.ts";

startWorker();
