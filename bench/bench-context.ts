import type { BenchOptions } from "./bench-options.ts";

/** What every section gets from the runner. */
export interface BenchContext {
  options: BenchOptions;
  /** A progress line on stderr; the report itself goes to stdout. */
  progress(message: string): void;
}

/**
 * Progress on stderr, so `npm run bench > report.md` captures only the report.
 *
 * @example
 * ```ts
 * const context = { options, progress: stderrProgress("cancel-decode") };
 * ```
 */
export function stderrProgress(section: string): (message: string) => void {
  const startedAt = performance.now();
  return (message) => {
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[bench ${section} +${seconds}s] ${message}\n`);
  };
}
