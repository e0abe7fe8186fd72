import { describe, expect, it } from "vitest";
import { DisposableScope } from "./disposable-scope.ts";
import { deferred, isSettled } from "./registry-test-support.ts";

describe("DisposableScope", () => {
  it("runs cleanups last-in first-out, awaiting each", async () => {
    const scope = new DisposableScope();
    const order: string[] = [];
    const gate = deferred();
    scope.defer(() => order.push("first"));
    scope.defer(async () => {
      await gate.promise;
      order.push("second");
    });
    scope.defer(() => order.push("third"));
    const disposal = scope.dispose();
    expect(order).toEqual(["third"]);
    expect(await isSettled(disposal)).toBe(false);
    gate.resolve();
    await disposal;
    expect(order).toEqual(["third", "second", "first"]);
  });

  it("runs every cleanup even when some throw, then rejects with all errors", async () => {
    const scope = new DisposableScope();
    const ran: number[] = [];
    scope.defer(() => ran.push(1));
    scope.defer(() => {
      throw new Error("sync failure");
    });
    scope.defer(async () => {
      ran.push(3);
      throw new Error("async failure");
    });
    const error = await scope.dispose().then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(ran).toEqual([3, 1]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((item: Error) => item.message)).toEqual(["async failure", "sync failure"]);
  });

  it("rejects with the error itself when only one cleanup fails", async () => {
    const scope = new DisposableScope();
    scope.defer(() => {
      throw new Error("only");
    });
    await expect(scope.dispose()).rejects.toThrow("only");
  });

  it("is idempotent: concurrent and repeated disposals share one run", async () => {
    const scope = new DisposableScope();
    let runs = 0;
    scope.defer(() => (runs += 1));
    const first = scope.dispose();
    expect(scope.dispose()).toBe(first);
    expect(scope.disposed).toBe(true);
    await first;
    await scope.dispose();
    await scope[Symbol.asyncDispose]();
    expect(runs).toBe(1);
    expect(scope.size).toBe(0);
  });

  it("runs a cleanup deferred after disposal at once and swallows its error", async () => {
    const scope = new DisposableScope();
    await scope.dispose();
    let ran = false;
    scope.defer(() => {
      ran = true;
      throw new Error("late");
    });
    expect(ran).toBe(true);
  });

  it("rejects a non-function cleanup", () => {
    expect(() => new DisposableScope().defer(42 as never)).toThrow(TypeError);
  });
});
