/**
 * One GET over node:http(s) that follows redirects and closes its socket when
 * done (no keep-alive pool, so nothing stays open after a download settles).
 */
import type { IncomingMessage } from "node:http";
import { networkError } from "./download-errors.ts";
import { extraCertificateAuthorities } from "./extra-ca-certificates.ts";

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface GetOptions {
  headers?: Record<string, string>;
  signal: AbortSignal;
  /** Fail when the socket is silent this long (ms), before and during the body. */
  idleTimeoutMs: number;
  /** Bytes a partial file already holds (a resume), so a failure says what is kept. */
  keptBytes?: number;
}

function getOnce(url: URL, options: GetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // Loaded on the first download, not at worker start (node:http + node:https + node:tls are ~10-25 ms to load).
    const secure = url.protocol === "https:";
    const request = secure ? process.getBuiltinModule("node:https").request : process.getBuiltinModule("node:http").request;
    const authorities = secure ? extraCertificateAuthorities() : undefined;
    const req = request(url, {
      ...(authorities === undefined ? {} : { ca: authorities }),
      method: "GET",
      headers: { "User-Agent": "rein-worker", "Accept-Encoding": "identity", ...options.headers },
      signal: options.signal,
      agent: false,
    });
    req.setTimeout(options.idleTimeoutMs, () => {
      req.destroy(new Error(`no data for ${options.idleTimeoutMs} ms`));
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end();
  });
}

/**
 * Resolves with the response to `url` after following up to 5 redirects. The
 * caller owns the response and must consume or `destroy()` it. Rejects with
 * `signal.reason` when aborted, with a "network" `DownloadFailedError` otherwise.
 */
export async function httpGet(url: string, options: GetOptions): Promise<IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    options.signal.throwIfAborted();
    let response: IncomingMessage;
    try {
      response = await getOnce(current, options);
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      throw networkError(url, error, options.keptBytes);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(status) || location === undefined) return response;
    response.destroy();
    if (hop >= MAX_REDIRECTS) throw networkError(url, new Error(`more than ${MAX_REDIRECTS} redirects`), options.keptBytes);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch (error) {
      // `Location: http://[::1` and the like: a failed redirect like any other, not an internal error.
      throw networkError(url, new Error(`redirect to an invalid URL ${JSON.stringify(location.slice(0, 200))}`, { cause: error }), options.keptBytes);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw networkError(url, new Error(`redirect to unsupported scheme ${next.protocol}`), options.keptBytes);
    }
    current = next;
  }
}
