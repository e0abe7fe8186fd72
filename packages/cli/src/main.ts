/** Entry point of `rein` (run through tsx by bin/rein.js). */
import { runCli } from "./run-cli.ts";

process.exitCode = await runCli(process.argv);
