export { createProgram } from "./program.ts";
export { runChat } from "./chat/chat-session.ts";
export type { ChatOptions } from "./chat/chat-session.ts";
export { streamReply } from "./chat/stream-reply.ts";
export type { ReplyOutcome } from "./chat/stream-reply.ts";
export { createProgressBars } from "./progress/progress-bars.ts";
export type { ProgressBars } from "./progress/progress-bars.ts";
