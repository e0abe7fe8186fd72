import { UnsupportedFunctionalityError, type LanguageModelV4FilePart, type LanguageModelV4Prompt, type LanguageModelV4ToolResultOutput, type SharedV4Warning } from "@ai-sdk/provider";
import type { ChatMessage } from "@rein/sdk";

/**
 * The AI SDK's prompt as a Rein chat history. System, user, assistant (text and tool calls) and tool
 * (results) messages map one to one. Text files (`data.type: "text"`) are inlined as text; any other
 * file part throws UnsupportedFunctionalityError, because Rein's models read text only. Reasoning
 * parts of earlier assistant turns are dropped with a warning: the history has no place for them, and
 * chat templates of thinking models remove earlier thoughts anyway.
 *
 * @example
 * ```ts
 * const { history } = toReinHistory([{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
 * // [{ role: "user", content: "Hi" }]
 * ```
 */
export function toReinHistory(prompt: LanguageModelV4Prompt): { history: ChatMessage[]; warnings: SharedV4Warning[] } {
  const history: ChatMessage[] = [];
  const warnings: SharedV4Warning[] = [];
  let droppedReasoning = false;
  for (const message of prompt) {
    switch (message.role) {
      case "system":
        history.push({ role: "system", content: message.content });
        break;
      case "user":
        history.push({ role: "user", content: message.content.map((part) => (part.type === "text" ? part.text : fileText(part))).join("") });
        break;
      case "assistant": {
        let content = "";
        const toolCalls: { id: string; name: string; arguments: unknown }[] = [];
        for (const part of message.content) {
          if (part.type === "text") content += part.text;
          else if (part.type === "tool-call") toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
          else if (part.type === "reasoning" || part.type === "reasoning-file") droppedReasoning = true;
          else if (part.type === "file") content += fileText(part);
          // Custom parts and results of provider-executed tools come from other providers; Rein runs none.
        }
        history.push(toolCalls.length > 0 ? { role: "assistant", content, toolCalls } : { role: "assistant", content });
        break;
      }
      case "tool":
        for (const part of message.content) {
          if (part.type === "tool-result") history.push({ role: "tool", toolCallId: part.toolCallId, content: toolResultText(part.output) });
        }
        break;
    }
  }
  if (droppedReasoning) warnings.push({ type: "other", message: "Reasoning parts of earlier assistant messages are not sent to the model (Rein's history holds text and tool calls)." });
  return { history, warnings };
}

/**
 * A tool result as the JSON text the model reads. Failures use Rein's own convention for a failed
 * tool call (`{"error": ...}`), so a model sees the same shape whether `ai` or Rein ran the tool.
 */
export function toolResultText(output: LanguageModelV4ToolResultOutput): string {
  switch (output.type) {
    case "text":
      return output.value;
    case "json":
      return JSON.stringify(output.value ?? null);
    case "error-text":
    case "error-json":
      return JSON.stringify({ error: output.value ?? null });
    case "execution-denied":
      return JSON.stringify({ error: output.reason ?? "The tool call was denied." });
    case "content":
      return output.value
        .map((part) => {
          if (part.type === "text") return part.text;
          if (part.type === "file" && part.data.type === "text") return part.data.text;
          throw new UnsupportedFunctionalityError({ functionality: `tool result content of type "${part.type}"${part.type === "file" ? ` (${part.mediaType})` : ""}` });
        })
        .join("");
  }
}

function fileText(part: LanguageModelV4FilePart): string {
  if (part.data.type === "text") return part.data.text;
  throw new UnsupportedFunctionalityError({ functionality: `file parts of type ${part.mediaType} (Rein models read text; text files with inline text are supported)` });
}
