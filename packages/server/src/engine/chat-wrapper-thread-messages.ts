import type { ChatWrapperChoice, ChatWrapperInputs } from "./chat-wrapper-choice.ts";

/** What the chat-wrapper thread is started with (its inputs come later, in a {@link ChatWrapperThreadInputs} message). */
export interface ChatWrapperThreadData {
  /** The tokenizer bridge's answer buffer (tokenizerBridgeBuffer). */
  shared: SharedArrayBuffer;
  /** How long the thread waits for one tokenizer answer before it gives up (the main thread answers from its event loop). */
  timeoutMs: number;
}

/** The one message the thread gets: the loaded model's inputs. */
export interface ChatWrapperThreadInputs {
  type: "inputs";
  inputs: ChatWrapperInputs;
}

/**
 * The thread's last message: its choice, or why it declined to choose (the main thread then resolves
 * synchronously, as it did before the thread existed).
 */
export type ChatWrapperThreadResult = { type: "chosen"; choice: ChatWrapperChoice } | { type: "declined"; reason: string };
