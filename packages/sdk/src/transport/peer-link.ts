import type { TransportLink } from "./transport-link.ts";

/** Placeholder until the HyperDHT transport lands (branch p2p). */
export async function openPeerLink(options: { publicKey: string; bootstrap?: string[]; keyPair?: unknown; connectTimeoutMs?: number }): Promise<TransportLink> {
  throw new Error(`no HyperDHT transport yet for ${options.publicKey}`);
}
