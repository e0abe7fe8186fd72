import { WORKER_EXTRA_CA_CERTS_ENV } from "@rein/protocol";

export interface WorkerEnvironmentOptions {
  /**
   * The worker runs only Rein's own code (the built-in entry, no op modules): the one place it needs extra CA
   * certificates is its HTTPS download, which reads them itself. An app's own entry or op modules may make
   * HTTPS requests of their own (`fetch`), so they get `NODE_EXTRA_CA_CERTS` as it is.
   */
  onlyReinCode: boolean;
}

/**
 * The environment a spawned worker starts with: the caller's, except that `NODE_EXTRA_CA_CERTS` is handed over
 * as {@link WORKER_EXTRA_CA_CERTS_ENV} when only Rein's code runs there. Node reads and parses that file before
 * any JavaScript runs, at every start (~40 ms of a ~150 ms worker start on a 2-core machine, measured in the
 * cold-start bench), while the worker needs it only for an HTTPS download. Kept as it is when `NODE_OPTIONS`
 * chooses another certificate store (`--use-openssl-ca`, `--use-system-ca`): the download adds the extra
 * certificates to Node's bundled roots, which is what Node itself does only for its default store.
 *
 * @example
 * ```ts
 * const env = workerEnvironment({ NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem" }, { onlyReinCode: true });
 * // { REIN_WORKER_EXTRA_CA_CERTS: "/etc/ssl/corp.pem" }
 * ```
 */
export function workerEnvironment(env: NodeJS.ProcessEnv, options: WorkerEnvironmentOptions): NodeJS.ProcessEnv {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file || !options.onlyReinCode || /--use-(?:openssl|system)-ca\b/.test(env.NODE_OPTIONS ?? "")) return env;
  const { NODE_EXTRA_CA_CERTS: _handedOver, ...rest } = env;
  return { ...rest, [WORKER_EXTRA_CA_CERTS_ENV]: file };
}
