import { SCRIPTED_TOOL, testModelPath } from "@rein/test-model";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allEvents, chatBody, readEvents, startServeProcess, type ServeProcess } from "./serve-process.ts";

let server: ServeProcess;

beforeAll(async () => {
  server = await startServeProcess(["--model", "tiny", "--model", `weather=${await testModelPath({ script: "toolCall" })}`, "--cors-origin", "https://app.example"]);
});
afterAll(async () => {
  if (server) expect(await server.stop()).toEqual({ code: 0, signal: null });
});

const weatherTool = { type: "function", function: { name: SCRIPTED_TOOL.name, description: "Weather in a city", parameters: SCRIPTED_TOOL.parameters } };
const weatherQuestion = [{ role: "user", content: "Weather in Paris?" }];

describe("rein serve: tools and structured output", () => {
  it("returns the model's tool calls without running them (finish_reason tool_calls)", async () => {
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: "weather",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [{ type: "function", function: { name: SCRIPTED_TOOL.name, parameters: { ...SCRIPTED_TOOL.parameters } } }],
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]!;
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toEqual(SCRIPTED_TOOL.arguments);

    // The app runs the tool and answers: the next turn takes the assistant's call and the tool result.
    const next = await server.post("/v1/chat/completions", {
      model: "weather",
      tools: [weatherTool],
      tool_choice: "none",
      max_tokens: 5,
      messages: [...weatherQuestion, { role: "assistant", content: null, tool_calls: [call] }, { role: "tool", tool_call_id: call.id, content: '{"celsius":21}' }],
    });
    expect(next.status).toBe(200);
  });

  it("streams tool calls as delta.tool_calls", async () => {
    const response = await server.post("/v1/chat/completions", { model: "weather", messages: weatherQuestion, tools: [weatherTool], tool_choice: "required", stream: true });
    const events = await allEvents(response);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([{ index: 0, id: expect.any(String), type: "function", function: { name: "get_weather", arguments: JSON.stringify(SCRIPTED_TOOL.arguments) } }]);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls");
  });

  it("refuses a tool call answered by no tool message, naming the OpenAI parameter", async () => {
    const response = await server.post("/v1/chat/completions", {
      model: "weather",
      messages: [...weatherQuestion, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } }] }],
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ param: "messages.1", rein_code: 50001 });
  });

  it("response_format json_schema answers JSON of the schema; json_object answers an object", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" }, level: { enum: [1, 2, 3] } }, required: ["ok", "level"] };
    const response = await server.post("/v1/chat/completions", chatBody({ max_tokens: 100, response_format: { type: "json_schema", json_schema: { name: "result", schema } } }));
    const content = JSON.parse((await response.json()).choices[0].message.content);
    expect(typeof content.ok).toBe("boolean");
    expect([1, 2, 3]).toContain(content.level);
    const object = await server.post("/v1/chat/completions", chatBody({ max_tokens: 30, response_format: { type: "json_object" } }));
    expect(object.status).toBe(200);
    expect((await object.json()).choices[0].message.content).toMatch(/^\s*\{/);
    const unsupported = await server.post("/v1/chat/completions", chatBody({ response_format: { type: "json_schema", json_schema: { schema: { type: "string", pattern: "^a" } } } }));
    expect(unsupported.status).toBe(400);
    expect((await unsupported.json()).error.param).toBe("response_format.schema.pattern");
  });

  it("stop sequences and n", async () => {
    const unsupported = await server.post("/v1/chat/completions", chatBody({ n: 2 }));
    expect(unsupported.status).toBe(400);
    expect((await unsupported.json()).error.param).toBe("n");
    const plain = await (await server.post("/v1/chat/completions", chatBody({ max_tokens: 12, temperature: 0 }))).json();
    const text: string = plain.choices[0].message.content;
    // A whole word from the middle: the model's pieces start with a space, so a stop string cut inside one may never match.
    const stop = text.split(" ").filter((word) => word.length >= 3)[1]!;
    expect(stop).toBeDefined();
    const stopped = await (await server.post("/v1/chat/completions", chatBody({ max_tokens: 12, temperature: 0, stop: [stop] }))).json();
    expect(stopped.choices[0].finish_reason).toBe("stop");
    expect(stopped.choices[0].message.content.length).toBeLessThan(text.length);
  });
});

describe("rein serve: --cors-origin", () => {
  it("answers that one origin's preflight and requests, and no other origin", async () => {
    const preflight = await server.fetch("/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const allowed = await server.fetch("/v1/models", { headers: { origin: "https://app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("access-control-expose-headers")).toBe("x-request-id");
    const other = await server.fetch("/v1/models", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("rein serve: shutdown", () => {
  it("SIGTERM closes open streams, cancels their requests, and exits 0", async () => {
    const own = await startServeProcess(["--model", "tiny"]);
    const response = await own.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 100_000 }));
    const { reader } = await readEvents(response, (events) => events.length >= 3);
    const exited = own.stop();
    // The stream ends (closed by the server, cleanly or by a reset), it does not hang.
    const ending = await (async () => {
      try {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read());
        return "ended";
      } catch {
        return "reset";
      }
    })();
    expect(["ended", "reset"]).toContain(ending);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(own.cli.stderr).toContain("SIGTERM, closing connections and the worker");
  });
});
