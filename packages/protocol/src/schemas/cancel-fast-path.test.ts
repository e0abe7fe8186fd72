import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cancelMessageSchema } from "../wire.ts";
import { cancelByIdMessage, cancelByIdTarget } from "./cancel-fast-path.ts";
import { cancelTargetSchema, normalizeCancelTarget } from "./cancel-schemas.ts";

const id = randomUUID();

describe("the by-id cancel fast path", () => {
  it.each([
    { target: { operation: "request", requestId: id } },
    { target: { operation: "request", requestId: id.toUpperCase() }, reason: "user" },
    { target: { operation: "request", requestId: id, clearCache: true }, reason: "clientDisconnected" },
    { target: { operation: "request", requestId: id, clearCache: false }, reason: "abortSignal" },
  ])("returns exactly what the worker's zod schema returns for %j", (payload) => {
    expect(cancelByIdMessage(payload)).toEqual(cancelMessageSchema.parse(payload));
  });

  it.each([
    undefined,
    null,
    [],
    "cancel",
    {},
    { target: { operation: "request", requestId: "not-a-uuid" } },
    { target: { operation: "request", requestId: id.replace(/^(.{14})./, "$13") } },
    { target: { operation: "request", requestId: id }, reason: "because" },
    { target: { operation: "request", requestId: id }, extra: 1 },
    { target: { operation: "request", requestId: id, extra: 1 } },
    { target: { operation: "request", requestId: id, clearCache: "yes" } },
    { target: { operation: "broad", modelId: "m" } },
    { target: { requestId: id } },
    { target: [id] },
  ])("leaves %j to zod (which accepts it or names the field)", (payload) => {
    expect(cancelByIdMessage(payload)).toBeUndefined();
  });

  it.each([{ requestId: id }, { requestId: id, clearCache: true }, { operation: "request", requestId: id }, { operation: "request", requestId: id, clearCache: false }])(
    "normalises the client's %j as parseCancelTarget's zod path does",
    (target) => {
      expect(cancelByIdTarget(target)).toEqual(normalizeCancelTarget(cancelTargetSchema.parse(target)));
    },
  );

  it.each([{ requestId: "x" }, { requestId: id, kind: "completion" }, { modelId: "m" }, { operation: "broad", modelId: "m" }, { operation: "request" }, { requestId: id, clearCache: 1 }])(
    "leaves the client's %j to zod",
    (target) => {
      expect(cancelByIdTarget(target)).toBeUndefined();
    },
  );
});
