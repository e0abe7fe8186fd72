/** Entry point of `rein` (run through tsx by bin/rein.js). */
import { createProgram } from "./program.ts";

await createProgram().parseAsync(process.argv);
