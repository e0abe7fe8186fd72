import { readFileSync } from "node:fs";
import { WORKER_EXTRA_CA_CERTS_ENV } from "@rein/protocol";

let loaded: { file: string; authorities: string[] | undefined } | undefined;

/**
 * The certificate authorities an HTTPS download trusts when the SDK handed this worker `NODE_EXTRA_CA_CERTS`'s
 * file (see `WORKER_EXTRA_CA_CERTS_ENV`): Node's bundled roots plus that file's certificates, which is what
 * `NODE_EXTRA_CA_CERTS` gives a process. `undefined` when nothing was handed over (Node's defaults apply, with
 * `NODE_EXTRA_CA_CERTS` if the worker was started with it). Read on the first HTTPS download, once. A file that
 * cannot be read is reported once and ignored, as Node does with `NODE_EXTRA_CA_CERTS`.
 *
 * @example
 * ```ts
 * https.request(url, { ca: extraCertificateAuthorities() });
 * ```
 */
export function extraCertificateAuthorities(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = env[WORKER_EXTRA_CA_CERTS_ENV];
  if (!file) return undefined;
  if (loaded?.file !== file) loaded = { file, authorities: read(file) };
  return loaded.authorities;
}

function read(file: string): string[] | undefined {
  try {
    return [...process.getBuiltinModule("node:tls").rootCertificates, readFileSync(file, "utf8")];
  } catch (error) {
    process.stderr.write(`rein worker: ignoring the extra CA certificates in ${file} (NODE_EXTRA_CA_CERTS): ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
}
