import { AsyncDisposeUnavailableError } from "./errors/runtime-errors.ts";
import { describe, expect, it } from "vitest";
import { assertAsyncDisposeAvailable } from "./runtime-guard.ts";

describe("assertAsyncDisposeAvailable", () => {
  it("passes on this runtime", () => {
    expect(() => assertAsyncDisposeAvailable()).not.toThrow();
    expect(() => assertAsyncDisposeAvailable(Symbol("custom"))).not.toThrow();
  });

  it.each([undefined, "undefined", null, 0])("throws AsyncDisposeUnavailableError for %s", (value) => {
    expect(() => assertAsyncDisposeAvailable(value)).toThrow(AsyncDisposeUnavailableError);
  });

});
