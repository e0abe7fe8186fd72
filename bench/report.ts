import type { Summary } from "./stats.ts";

/** A place where Rein is behind plain node-llama-cpp or one of its targets (README, Benchmarks), for the closing note. */
export interface BehindNote {
  /** What is behind, with the measured gap. */
  gap: string;
  /** Why, from what the bench measured. */
  why: string;
  /** What would close it. */
  fix: string;
  /** Notes with the same cause are grouped in the closing note (why and fix are then given once). */
  cause?: string;
}

/** What one bench section hands to the report. */
export interface SectionReport {
  title: string;
  /** Markdown: tables, verdict lines and short notes. */
  body: string;
  behind: BehindNote[];
}

/**
 * A GitHub-flavoured markdown table; numbers in `rows` should already be formatted.
 *
 * @example
 * ```ts
 * markdownTable(["path", "p50 ms"], [["Rein", "0.82"]]);
 * ```
 */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|").replaceAll("\n", " ");
  const lines = [
    `| ${headers.map(escape).join(" | ")} |`,
    `| ${headers.map((_, index) => (index === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escape).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/**
 * A number with `digits` decimals; "–" for NaN/undefined, so empty sample sets stay readable.
 *
 * @example
 * ```ts
 * formatNumber(3.14159, 2); // "3.14"
 * ```
 */
export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (value == null || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * An integer with thousands separators.
 *
 * @example
 * ```ts
 * formatInteger(12345.6); // "12,346"
 * ```
 */
export function formatInteger(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return "–";
  return Math.round(value).toLocaleString("en-US");
}

/**
 * A ratio as a percentage, e.g. 0.987 -> "98.7%".
 *
 * @example
 * ```ts
 * formatPercent(0.987); // "98.7%"
 * ```
 */
export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio == null || !Number.isFinite(ratio)) return "–";
  return `${(ratio * 100).toFixed(digits)}%`;
}

/**
 * Bytes as MiB with one decimal.
 *
 * @example
 * ```ts
 * formatMebibytes(3 * 1024 * 1024); // "3.0 MiB"
 * ```
 */
export function formatMebibytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return "–";
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The p50 / p95 / p99 / max cells of a latency summary, in its unit.
 *
 * @example
 * ```ts
 * markdownTable(["path", ...LATENCY_HEADERS], [["Rein", ...latencyCells(summarize(samples))]]);
 * ```
 */
export function latencyCells(summary: Summary, digits = 2): string[] {
  return [summary.p50, summary.p95, summary.p99, summary.max].map((value) => formatNumber(value, digits));
}

export const LATENCY_HEADERS = ["p50", "p95", "p99", "max"] as const;

/**
 * "✅ meets" / "❌ behind" with the reason, as a verdict line.
 *
 * @example
 * ```ts
 * verdict(p99 <= target, `p99 ${p99} ms`); // "✅ p99 1.2 ms"
 * ```
 */
export function verdict(met: boolean, text: string): string {
  return `${met ? "✅" : "❌"} ${text}`;
}

/**
 * Joins non-empty markdown blocks with blank lines.
 *
 * @example
 * ```ts
 * blocks(table, met && "all good", undefined); // table + "\n\n" + "all good"
 * ```
 */
export function blocks(...parts: (string | undefined | false)[]): string {
  return parts.filter((part): part is string => typeof part === "string" && part.length > 0).join("\n\n");
}
