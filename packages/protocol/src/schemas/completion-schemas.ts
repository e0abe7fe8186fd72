import { z } from "zod";
import { lazySchema } from "./lazy-schema.ts";
import { modelIdSchema } from "./common.ts";
import { responseFormatSchema, toolCallSchema, toolChoiceSchema, toolDefinitionSchema } from "./tool-schemas.ts";

const contentSchema = lazySchema(() => z.string().max(4_000_000, "is longer than 4,000,000 characters"));

const plainMessageSchema = lazySchema(() => z.object({ role: z.enum(["system", "user"]), content: contentSchema }).strict());

/** An assistant turn; `toolCalls` are the calls it made, each answered by a following `tool` message. */
const assistantMessageSchema = lazySchema(() =>
  z
    .object({ role: z.literal("assistant"), content: contentSchema, toolCalls: z.array(toolCallSchema).max(128).optional() })
    .strict(),
);

/** A tool's answer to the call `toolCallId` of the assistant turn before it; `content` is usually JSON. */
const toolMessageSchema = lazySchema(() =>
  z
    .object({ role: z.literal("tool"), toolCallId: z.string().min(1, "must not be empty").max(256), content: contentSchema })
    .strict(),
);

export const chatMessageSchema = lazySchema(() =>
  z.discriminatedUnion("role", [plainMessageSchema, assistantMessageSchema, toolMessageSchema], {
    error: "must be one of system, user, assistant, tool",
  }),
);

export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const completionInputSchema = lazySchema(() =>
  z
    .object({
      modelId: modelIdSchema,
      history: z.array(chatMessageSchema).min(1, "must hold at least one message").max(10_000),
      /** Streaming is always on the wire; `stream: false` only changes nothing but is accepted for QVAC compatibility. */
      stream: z.boolean().optional(),
      maxTokens: z.number().int().min(1, "must be at least 1").max(1 << 20, "must be at most 1048576").optional(),
      temperature: z.number().min(0, "must not be negative").max(10, "must be at most 10").optional(),
      topP: z.number().gt(0, "must be greater than 0").max(1, "must be at most 1").optional(),
      topK: z.number().int().min(0, "must not be negative").max(100_000).optional(),
      seed: z.number().int().min(0, "must not be negative").max(2 ** 32 - 1, "must fit in 32 bits").optional(),
      stopSequences: z.array(z.string().min(1, "must not be empty").max(256)).max(16, "holds more than 16 entries").optional(),
      /** The functions the model may call, in the syntax of its own chat template. */
      tools: z.array(toolDefinitionSchema).max(128, "holds more than 128 tools").optional(),
      toolChoice: toolChoiceSchema.optional(),
      /**
       * Wire only (the SDK sets it when a tool has `execute`): after a turn with
       * calls, wait for `completion.toolResults` and continue on the same
       * sequence instead of ending with `stopReason: "toolCalls"`.
       */
      awaitToolResults: z.boolean().optional(),
      responseFormat: responseFormatSchema.optional(),
      /** `false` leaves thought segments (`<think>`) out of the events and the result. Default true. */
      includeThinking: z.boolean().optional(),
    })
    .strict()
    .superRefine((input, context) => {
      const names = new Set<string>();
      input.tools?.forEach((tool, index) => {
        if (names.has(tool.name)) context.addIssue({ code: "custom", path: ["tools", index, "name"], message: `names the tool "${tool.name}" twice` });
        names.add(tool.name);
      });
      const choice = input.toolChoice;
      if (typeof choice === "object" && !names.has(choice.name)) {
        context.addIssue({ code: "custom", path: ["toolChoice", "name"], message: `names "${choice.name}", which is not in tools` });
      }
      if (choice === "required" && names.size === 0) {
        context.addIssue({ code: "custom", path: ["toolChoice"], message: `is "required" but no tools were given` });
      }
      const usesTools = names.size > 0 && choice !== "none";
      if (usesTools && input.responseFormat?.type === "json_schema") {
        context.addIssue({ code: "custom", path: ["responseFormat"], message: "cannot be combined with tools (set toolChoice: \"none\" to answer in JSON)" });
      }
      checkToolHistory(input.history, context);
    }),
);

export type CompletionInput = z.infer<typeof completionInputSchema>;

/** Every tool message answers a call of the assistant turn before it, and every such call is answered once. */
function checkToolHistory(history: readonly ChatMessage[], context: z.RefinementCtx): void {
  let open = new Map<string, number>();
  history.forEach((message, index) => {
    if (message.role === "tool") {
      if (!open.delete(message.toolCallId)) {
        context.addIssue({ code: "custom", path: ["history", index, "toolCallId"], message: `answers no open call of the assistant turn before it` });
      }
      return;
    }
    for (const [, callIndex] of open) {
      context.addIssue({ code: "custom", path: ["history", callIndex], message: "has a tool call that no tool message answers" });
      return;
    }
    open = new Map((message.role === "assistant" ? (message.toolCalls ?? []) : []).map((call) => [call.id, index]));
  });
  // The model continues from the history, so calls left open at its end have no result to read either.
  for (const [, callIndex] of open) {
    context.addIssue({ code: "custom", path: ["history", callIndex], message: "has a tool call that no tool message answers" });
    return;
  }
}
