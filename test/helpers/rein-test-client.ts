import { createClient, type ClientOptions, type ReinClient } from "@rein/sdk";
import { testModelPath } from "@rein/test-model";

/**
 * A client for tests: one thread per model (more collapses decode on a 2-core
 * machine), the worker's stderr shared with the test output. Closed by the
 * caller (`await using`, or `afterAll(() => client.close())`).
 */
export function createTestClient(options: ClientOptions = {}): ReinClient {
  return createClient({ threads: 1, ...options });
}

export const tinyModel = () => testModelPath({ preset: "tiny" });
export const eosModel = () => testModelPath({ preset: "tiny", emitsEos: true });
export const mediumModel = () => testModelPath({ preset: "medium" });

/** A user turn with enough text to make the model talk. */
export const history = (content = "Tell me a long story about cancellation.") => [{ role: "user" as const, content }];
