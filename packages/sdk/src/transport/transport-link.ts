import type { Duplex } from "node:stream";
import type { ReinError } from "@rein/protocol";

/** How the other side went away. */
export type LinkGone =
  /** A worker process this client spawned exited. */
  | { type: "exited"; exitCode: number | null; signal: string | null }
  /** A remote peer's stream closed or broke; `error` is what pending calls get (unless the client closed it). */
  | { type: "disconnected"; error: ReinError };

/**
 * One byte stream to a Rein worker and what the connection needs to know
 * about its lifetime. The protocol, the framing and the dispatcher are the
 * same on every link; only this differs: a spawned process on fd 3, a
 * WebSocket to `rein serve`, a custom duplex stream.
 */
export interface TransportLink {
  /** "process": a worker this client owns (close() shuts it down); "remote": a shared one (close() only leaves). */
  readonly kind: "process" | "remote";
  readonly channel: Duplex;
  /** Settles once, when the other side is gone, however it went. */
  readonly gone: Promise<LinkGone>;
  /** The local worker's pid; undefined for a remote link. */
  readonly pid: number | undefined;
  /** Hard stop: kill the process, or destroy the stream. */
  kill(signal?: NodeJS.Signals): void;
  /** Whether an idle link keeps this process alive (it does only while a reply is awaited). */
  setReferenced(referenced: boolean): void;
}
