import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { InferenceCancelledError, WorkerCrashedError, type ReinClient, type ToolExecuteOptions } from "@rein/sdk";
import { createTestClient, history, tinyModel } from "../helpers/rein-test-client.ts";

/** A tool that reports its options when it starts and never finishes (and ignores its signal). */
function hangingTool() {
  let started!: (options: ToolExecuteOptions) => void;
  const executing = new Promise<ToolExecuteOptions>((resolve) => (started = resolve));
  const tools = { hang: { parameters: z.object({ mode: z.enum(["a", "b"]) }), execute: (_: unknown, options: ToolExecuteOptions) => (started(options), new Promise(() => undefined)) } };
  return { tools, executing };
}

describe("a tool loop waiting on execute, stopped by its parent or by the worker dying", () => {
  let client: ReinClient;
  let modelId: string;

  beforeAll(async () => {
    client = createTestClient();
    modelId = await client.loadModel({ modelSrc: await tinyModel() });
  });
  afterAll(() => client.close());

  it("cancelling the parent group reaches the step that runs: the tool's signal aborts, the run ends cancelled", async () => {
    const task = client.group();
    const { tools, executing } = hangingTool();
    const run = client.completion({ modelId, history: history(), tools, toolChoice: "required", maxTokens: 32, parent: task });
    const options = await executing;
    await task.cancel();
    const error = await run.final.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InferenceCancelledError);
    expect((error as InferenceCancelledError).reason).toBe("parentCancelled");
    expect(options.signal.aborted).toBe(true);
  });

  it("the worker dies during execute: the run rejects with WorkerCrashedError and the tool's signal aborts", async () => {
    const { tools, executing } = hangingTool();
    const run = client.completion({ modelId, history: history(), tools, toolChoice: "required", maxTokens: 32 });
    const options = await executing;
    process.kill(client.workerPid!, "SIGKILL");
    const error = await run.final.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(options.signal.aborted).toBe(true);
  });
});
