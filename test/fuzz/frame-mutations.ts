/**
 * Generators for the raw-frame fuzz suite: bare-rpc frames built by hand
 * (compact-encoding varints), JSON payloads mutated structurally, bytes
 * mutated blindly, and framing attacks. All driven by one seeded random
 * source, so a seed replays the same bytes.
 */
import { Command, encodeJson, PROTOCOL_VERSION } from "@rein/protocol";
import type { seededRandom } from "../helpers/reliability-support.ts";

export type Random = ReturnType<typeof seededRandom>;

/** A compact-encoding uint, as bare-rpc writes it. */
export function varint(value: number): Buffer {
  if (value <= 0xfc) return Buffer.from([value]);
  if (value <= 0xffff) return Buffer.from([0xfd, value & 0xff, value >> 8]);
  const bytes = Buffer.alloc(5);
  bytes[0] = 0xfe;
  bytes.writeUInt32LE(value >>> 0, 1);
  return bytes;
}

export function frameOf(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

/** A bare-rpc request frame (id > 0) or event (id 0) carrying `data`. */
export function requestFrame(id: number, command: number, data: Buffer): Buffer {
  return frameOf(Buffer.concat([varint(1), varint(id), varint(command), varint(0), varint(data.length), data]));
}

/** Well-formed inputs of every command, to mutate. Nothing here can reach the network or run for long. */
export function templates(requestId: () => string): { command: number; payload: unknown }[] {
  const call = (op: string, input: unknown, extra: Record<string, unknown> = {}) => ({ command: Command.call, payload: { op, requestId: requestId(), input, ...extra } });
  return [
    call("completion", { modelId: "fuzz-model", history: [{ role: "user", content: "hi" }], maxTokens: 4, stopSequences: ["x"] }, { timeoutMs: 2_000 }),
    call("embed", { modelId: "fuzz-model", texts: ["a", "b"] }),
    call("loadModel", { modelSrc: "/nonexistent/fuzz.gguf", modelConfig: { ctx_size: 128, parallel: 1 } }),
    call("downloadAsset", { url: "http://127.0.0.1:9/fuzz.bin", fileName: "fuzz.bin" }, { timeoutMs: 2_000 }),
    call("unloadModel", { modelId: "fuzz-model" }),
    call("group", {}, { timeoutMs: 1_000 }),
    { command: Command.cancel, payload: { target: { operation: "request", requestId: requestId() }, reason: "user" } },
    { command: Command.cancel, payload: { target: { operation: "broad", modelId: "fuzz-model", kind: "completion" } } },
    { command: Command.inspect, payload: {} },
    { command: Command.handshake, payload: { protocolVersion: PROTOCOL_VERSION, config: { defaultThreads: 1 } } },
  ];
}

// Shared by every case, so `randomValue` hands out copies: a mutation that later writes into a picked array or
// object would change this table, and two such writes can nest a value inside itself (a circular structure that
// JSON cannot encode, which failed a fuzz round of the harness itself, not of the worker).
const strange: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -0,
  2 ** 53 + 1,
  "",
  "\u0000",
  "\ud800",
  "x".repeat(5_000),
  "__proto__",
  "constructor",
  [],
  {},
  // An own "__proto__" key, as a hostile peer's JSON would carry it (an object literal's `__proto__` would only
  // set the prototype, and travel as `{}`).
  JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
  [[[[[[[[[[[]]]]]]]]]]],
];

/** A deep copy by JSON, so an own `"__proto__"` key stays an own key. */
function copyJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function randomValue(random: Random, depth = 0): unknown {
  const choice = random.int(depth > 2 ? 4 : 7);
  switch (choice) {
    case 0: {
      const picked = random.pick(strange);
      return typeof picked === "object" && picked !== null ? copyJson(picked) : picked;
    }
    case 1:
      return random.int(2) === 0 ? random.int(1_000_000) - 500_000 : random.next() * 10 ** random.int(20);
    case 2:
      return Array.from({ length: random.int(12) }, () => String.fromCharCode(random.int(0x3000))).join("");
    case 3:
      return random.int(2) === 0;
    case 4:
      return Array.from({ length: random.int(4) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick(["a", "op", "input", "modelId", "__proto__", "constructor", "x".repeat(random.int(300))]), randomValue(random, depth + 1)]));
  }
}

/** Replaces, deletes or adds one node somewhere in a JSON value (a deep copy is returned). */
export function mutateJson(value: unknown, random: Random): unknown {
  const copy = copyJson(value);
  const mutations = 1 + random.int(3);
  let root = copy;
  for (let index = 0; index < mutations; index += 1) {
    const containers: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
    const walk = (node: unknown) => {
      if (typeof node !== "object" || node === null) return;
      for (const key of Object.keys(node)) {
        containers.push({ parent: node as Record<string, unknown>, key });
        walk((node as Record<string, unknown>)[key]);
      }
    };
    walk(root);
    if (containers.length === 0 || random.int(10) === 0) {
      root = randomValue(random);
      continue;
    }
    const { parent, key } = random.pick(containers);
    const action = random.int(3);
    if (action === 0) delete (parent as Record<string, unknown>)[key as string];
    else if (action === 1) (parent as Record<string, unknown>)[key as string] = randomValue(random);
    else (parent as Record<string, unknown>)[random.pick(["extra", "__proto__", "constructor", "prototype", String(key)])] = randomValue(random);
  }
  return root;
}

/** Flips, drops, inserts or truncates bytes of an encoded payload: mostly no longer JSON. */
export function mutateBytes(bytes: Buffer, random: Random): Buffer {
  const copy = Buffer.from(bytes);
  switch (random.int(4)) {
    case 0:
      if (copy.length > 0) copy[random.int(copy.length)] = random.int(256);
      return copy;
    case 1:
      return copy.subarray(0, random.int(copy.length + 1));
    case 2: {
      const at = random.int(copy.length + 1);
      return Buffer.concat([copy.subarray(0, at), Buffer.from(Array.from({ length: 1 + random.int(8) }, () => random.int(256))), copy.subarray(at)]);
    }
    default:
      return Buffer.from(Array.from({ length: random.int(64) }, () => random.int(256)));
  }
}

/** A payload for one mutated request: a structural mutation (still JSON) or a byte mutation. */
export function mutatedPayload(template: { payload: unknown }, random: Random): Buffer {
  const structural = encodeJson(mutateJson(template.payload, random));
  return random.int(4) === 0 ? mutateBytes(structural, random) : structural;
}

/** One framing attack and what the worker must do: keep answering, say why and close, or either (random bodies). */
export type Attack = { name: string; bytes: Buffer; outcome: "answers" | "closes" | "either" };

export function framingAttack(random: Random): Attack {
  const tinyEvent = requestFrame(0, 100, Buffer.alloc(0));
  switch (random.int(8)) {
    case 0:
      return { name: "a burst of tiny events", bytes: Buffer.concat(Array.from({ length: 5_000 + random.int(50_000) }, () => tinyEvent)), outcome: "answers" };
    case 1: {
      // OPEN | REQUEST, OPEN | RESPONSE, OPEN: well-formed stream frames for ids nobody opened.
      const open = () => frameOf(Buffer.concat([varint(3), varint(1 + random.int(2 ** 31)), varint(random.pick([0x101, 0x201, 0x1]))]));
      return { name: "stream frames for unknown ids", bytes: Buffer.concat(Array.from({ length: 1_000 + random.int(20_000) }, open)), outcome: "answers" };
    }
    case 2: {
      const response = () => frameOf(Buffer.concat([varint(2), varint(1_000_000 + random.int(1_000_000)), Buffer.from([0]), varint(0), varint(0)]));
      return { name: "responses to ids never sent", bytes: Buffer.concat(Array.from({ length: 1 + random.int(2_000) }, response)), outcome: "answers" };
    }
    case 3:
      return { name: "a length prefix of 0", bytes: frameOf(Buffer.alloc(0)), outcome: "closes" };
    case 4:
      return { name: "an unknown message type", bytes: frameOf(Buffer.concat([varint(4 + random.int(200)), varint(random.int(100))])), outcome: "closes" };
    case 5: {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32LE(0x7000_0000 + random.int(0x0fff_ffff), 0);
      return { name: "an absurd length prefix", bytes: Buffer.concat([prefix, Buffer.alloc(random.int(32))]), outcome: "closes" };
    }
    case 6: {
      // Never type 1: a random but valid request could be `shutdown`, a legitimate exit rather than a finding.
      const body = Buffer.from(Array.from({ length: 1 + random.int(40) }, () => random.int(256)));
      body[0] = random.pick([0, 2, 3, 4, 0x7f, 0xfc]);
      return { name: "a frame of random bytes", bytes: frameOf(body), outcome: "either" };
    }
    default:
      return { name: "a request whose data runs past its frame", bytes: frameOf(Buffer.concat([varint(1), varint(7), varint(Command.inspect), varint(0), varint(200), Buffer.from("{}")])), outcome: "closes" };
  }
}

/** Cuts `bytes` into a few writes at random places: frame boundaries must not matter. */
export function randomSplits(bytes: Buffer, random: Random): Buffer[] {
  const cuts = [...new Set(Array.from({ length: random.int(6) }, () => random.int(bytes.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}
