/** Entry point of `rein`: bin/rein.js imports it (built, or from source through tsx inside the repository). */
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(process.argv);
