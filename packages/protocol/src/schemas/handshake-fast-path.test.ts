import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../commands.ts";
import { handshakeMessageSchema, handshakeVersionSchema } from "../wire.ts";
import { handshakeFast } from "./handshake-fast-path.ts";

const version = PROTOCOL_VERSION;

const accepted: unknown[] = [
  { protocolVersion: version },
  { protocolVersion: 99 },
  { protocolVersion: version, config: {} },
  { protocolVersion: version, config: { defaultThreads: 1, forwardLogs: true } },
  { protocolVersion: version, config: { forwardLogs: false, cacheDir: "/home/ada/.cache/rein", defaultThreads: 1024, opModules: ["/app/ops.js", "file:///app/more.js"] } },
  { protocolVersion: version, config: { policies: {} } },
  { protocolVersion: version, config: { policies: { completion: { maxConcurrentPerModel: 2, onOverflow: "reject", maxQueueDepth: 0, queueTimeoutMs: -1 }, custom: {}, rag: { onOverflow: "queue" } } } },
  { protocolVersion: version, config: { opModules: [] } },
];

const leftToZod: unknown[] = [
  undefined,
  null,
  [],
  {},
  { protocolVersion: "1" },
  { protocolVersion: 1.5 },
  { protocolVersion: 2 ** 60 },
  { protocolVersion: version, extra: 1 },
  { protocolVersion: version, config: null },
  { protocolVersion: version, config: [] },
  { protocolVersion: version, config: { unknown: true } },
  { protocolVersion: version, config: { defaultThreads: 0 } },
  { protocolVersion: version, config: { defaultThreads: 1025 } },
  { protocolVersion: version, config: { defaultThreads: 1.5 } },
  { protocolVersion: version, config: { cacheDir: "" } },
  { protocolVersion: version, config: { cacheDir: "a\0b" } },
  { protocolVersion: version, config: { cacheDir: "x".repeat(4097) } },
  { protocolVersion: version, config: { opModules: "/app/ops.js" } },
  { protocolVersion: version, config: { opModules: [""] } },
  { protocolVersion: version, config: { opModules: Array.from({ length: 65 }, () => "/a.js") } },
  { protocolVersion: version, config: { forwardLogs: "yes" } },
  { protocolVersion: version, config: { policies: [] } },
  { protocolVersion: version, config: { policies: { nonsense: {} } } },
  { protocolVersion: version, config: { policies: { completion: null } } },
  { protocolVersion: version, config: { policies: { completion: { maxConcurrentPerModel: -1 } } } },
  { protocolVersion: version, config: { policies: { completion: { onOverflow: "drop" } } } },
  { protocolVersion: version, config: { policies: { completion: { maxQueueDepth: 1.5 } } } },
  { protocolVersion: version, config: { policies: { completion: { queueTimeoutMs: "1" } } } },
  { protocolVersion: version, config: { policies: { completion: { extra: 1 } } } },
];

describe("the handshake fast path", () => {
  it.each(accepted)("returns exactly what handshakeMessageSchema returns for %j", (payload) => {
    expect(handshakeFast(payload)).toEqual(handshakeMessageSchema.parse(payload));
    expect(handshakeFast(payload)?.protocolVersion).toBe(handshakeVersionSchema.parse(payload).protocolVersion);
  });

  it.each(leftToZod)("leaves %j to zod", (payload) => {
    expect(handshakeFast(payload)).toBeUndefined();
  });

  it("keeps the schema's key order (a remote handshake's error names the first key)", () => {
    const payload = { protocolVersion: version, config: { forwardLogs: true, defaultThreads: 2, cacheDir: "/c" } };
    expect(Object.keys(handshakeFast(payload)!.config!)).toEqual(Object.keys(handshakeMessageSchema.parse(payload).config!));
  });

  it("never accepts what the schema refuses, over many mutations of a valid handshake", () => {
    const values = [undefined, null, -1, 0, 0.5, 1, 2, 1024, 1025, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, "", "x", "a\0", true, false, [], {}, [""], ["/a.js"], { completion: {} }, { completion: { maxConcurrentPerModel: Number.POSITIVE_INFINITY } }, { completion: { queueTimeoutMs: Number.NaN } }, { embeddings: { maxQueueDepth: 2 ** 53 } }];
    const keys = ["policies", "defaultThreads", "cacheDir", "opModules", "forwardLogs", "unknown"];
    let fastAccepted = 0;
    for (const key of keys) {
      for (const value of values) {
        const config: Record<string, unknown> = { defaultThreads: 1, [key]: value };
        if (value === undefined) delete config[key];
        const payload = { protocolVersion: version, config };
        const fast = handshakeFast(payload);
        const schema = handshakeMessageSchema.safeParse(payload);
        if (fast !== undefined) {
          fastAccepted += 1;
          expect(schema.success, JSON.stringify(payload)).toBe(true);
          expect(fast).toEqual(schema.data);
        }
      }
    }
    expect(fastAccepted).toBeGreaterThan(10);
  });
});
