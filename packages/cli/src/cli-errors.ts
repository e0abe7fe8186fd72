/**
 * How `rein` reports a failure: one plain line that names the problem and the
 * error's code, never an uncaught stack trace. `--verbose` (or REIN_VERBOSE=1)
 * adds the stack, the worker's stack included.
 *
 * Exit codes: 2 for a mistake in what was asked (a bad option value, an input
 * the SDK refuses, a file that is not a GGUF model), 1 for everything else
 * that went wrong (a missing file, a failed download, a worker that died).
 */
import { InvalidInputError, ReinError } from "@rein/sdk";
import { CommanderError } from "commander";

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface ErrorReport {
  /** The one line for stderr (no trailing newline). */
  line: string;
  exitCode: number;
  /** The stack, for --verbose. */
  detail: string | undefined;
}

/**
 * The report for an error that ended a `rein` command.
 *
 * @example
 * ```ts
 * describeCliError(new ModelNotFoundError({ modelSrc: "./x.gguf" }));
 * // { line: "rein: Model file not found: ./x.gguf (ModelNotFoundError, code 52001)", exitCode: 1, ... }
 * ```
 */
export function describeCliError(error: unknown): ErrorReport {
  if (ReinError.isInstance(error)) {
    const exitCode = InvalidInputError.isInstance(error) ? EXIT_USAGE : EXIT_FAILURE;
    return { line: `rein: ${firstLine(error.message)} (${error.name}, code ${error.code})`, exitCode, detail: error.stack };
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof errno === "string" ? `, ${errno}` : "";
  const name = error instanceof Error ? error.name : "Error";
  return { line: `rein: ${firstLine(message)} (${name}${code}; run with --verbose for details)`, exitCode: EXIT_FAILURE, detail: error instanceof Error ? error.stack : undefined };
}

/** Writes the report of `error` to `errorOutput` and returns the exit code. */
export function reportCliError(error: unknown, options: { verbose: boolean; errorOutput?: NodeJS.WritableStream }): number {
  const output = options.errorOutput ?? process.stderr;
  // Commander already printed its own one-line message (and the usage hint).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  const report = describeCliError(error);
  output.write(`${report.line}\n`);
  if (options.verbose && report.detail) output.write(`${report.detail}\n`);
  return report.exitCode;
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.trim();
}
