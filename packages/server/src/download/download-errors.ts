/**
 * Mapping of low-level failures onto `DownloadFailedError`: file-system errors
 * are "disk", socket and protocol errors are "network", error statuses "http".
 */
import { DownloadFailedError } from "@rein/protocol";

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

export function diskError(url: string, cause: unknown): DownloadFailedError {
  return new DownloadFailedError({
    url,
    failure: "disk",
    message: `Download of ${url} failed writing to the cache (${describe(cause)})`,
    cause,
  });
}

/**
 * A "network" failure. `keptBytes` is what the partial file holds after it:
 * only then does the message promise a resume (a refused connection keeps nothing).
 */
export function networkError(url: string, cause: unknown, keptBytes = 0): DownloadFailedError {
  const after = keptBytes > 0 ? `; the ${keptBytes} bytes received are kept and the next download resumes from there` : "; nothing was downloaded";
  return new DownloadFailedError({
    url,
    failure: "network",
    message: `Download of ${url} failed (network: ${describe(cause)})${after}`,
    cause,
  });
}

export function httpError(url: string, status: number): DownloadFailedError {
  return new DownloadFailedError({ url, failure: "http", status, message: `Download of ${url} failed: HTTP ${status}` });
}

/**
 * Runs a file-system step; any error it throws becomes a "disk" `DownloadFailedError`,
 * except an abort of `signal`, which rethrows `signal.reason`.
 */
export async function onDisk<T>(url: string, step: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error instanceof DownloadFailedError ? error : diskError(url, error);
  }
}
