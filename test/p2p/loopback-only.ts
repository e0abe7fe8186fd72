import { createRequire } from "node:module";
import os from "node:os";

interface Testnet {
  bootstrap: { host: string; port: number }[];
  destroy(): Promise<void>;
}
// CommonJS without types.
const createTestnet = createRequire(import.meta.url)("@hyperswarm/testnet") as (size: number, options: { host: string }) => Promise<Testnet>;

/**
 * P2P tests announce and dial local interface addresses: they may run only where the loopback interface is the
 * only one (`npm test` runs vitest in such a network namespace, scripts/in-loopback-namespace.mjs).
 */
export function assertLoopbackOnly(): void {
  const interfaces = Object.keys(os.networkInterfaces());
  if (interfaces.some((name) => name !== "lo")) {
    throw new Error(
      `P2P tests run only inside a loopback-only network namespace (found interfaces: ${interfaces.join(", ")}): run them with \`npm test -- test/p2p\` or \`node scripts/in-loopback-namespace.mjs vitest run test/p2p\``,
    );
  }
}

/** A local HyperDHT testnet on 127.0.0.1 and its bootstrap list as `host:port` strings. */
export async function startTestnet(): Promise<{ bootstrap: string[]; destroy(): Promise<void> }> {
  const testnet = await createTestnet(3, { host: "127.0.0.1" });
  return { bootstrap: testnet.bootstrap.map(({ host, port }) => `${host}:${port}`), destroy: () => testnet.destroy() };
}
