/** Entry point of `rein`: bin/rein.js imports it (built, or from source through tsx inside the repository). */
import { createProgram } from "./program.ts";

await createProgram().parseAsync(process.argv);
