import { reportCliError } from "./cli-errors.ts";
import { createProgram } from "./program.ts";

/**
 * Runs `rein` with `argv` and resolves to its exit code. Every failure ends as
 * one plain line on stderr (see cli-errors.ts); nothing is left to Node's
 * uncaught-exception printer.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv);
 * ```
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes("--verbose") || process.env.REIN_VERBOSE === "1";
  try {
    await createProgram().parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    return reportCliError(error, { verbose });
  }
}
