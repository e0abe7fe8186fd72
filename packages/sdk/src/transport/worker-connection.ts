import {
  Command,
  createFramedChannel,
  decodeJson,
  deserializeError,
  encodeJson,
  Event,
  PROTOCOL_VERSION,
  ProtocolError,
  ReinError,
  WorkerCrashedError,
  WorkerExitCode,
  WorkerShutdownError,
  WorkerStartFailedError,
  type CallReply,
  type FrameMessage,
  type GoodbyeMessage,
  type HandshakeReply,
  type LogMessage,
  type WorkerConfig,
} from "@rein/protocol";
import RPC from "bare-rpc";
import type { TransportLink } from "./transport-link.ts";

/** How long a failed reply waits for the worker's exit to explain it. */
const EXIT_EXPLAINS_CLOSE_MS = 2_000;

const unrefDelay = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds).unref());

export interface ConnectionHandlers {
  onFrame: (message: FrameMessage) => void;
  onLog: (message: LogMessage) => void;
  /** Called once when the connection is gone; `error` is what every pending call got. */
  onClosed: (error: ReinError) => void;
}

/**
 * One live worker — a process this client spawned, or a remote host — and its
 * RPC channel. Every request is raced against the connection's end: bare-rpc
 * alone does not settle every pending call when the other side dies or the
 * byte stream breaks, and a call that never settles is the bug this SDK
 * exists to rule out.
 */
export class WorkerConnection {
  readonly #rpc: RPC;
  readonly #link: TransportLink;
  readonly #handlers: ConnectionHandlers;
  /** Rejects with the reason the connection ended; every request races it. */
  readonly #ended: Promise<never>;
  #endWith!: (error: ReinError) => void;
  #endError: ReinError | undefined;
  #closing = false;
  /** What the worker said as it closed the channel, if it said anything. */
  #goodbye: GoodbyeMessage | undefined;
  /** Replies awaited right now; while 0 the worker and its pipe do not keep this process alive. */
  #inFlight = 0;
  handshake: HandshakeReply | undefined;

  private constructor(link: TransportLink, handlers: ConnectionHandlers) {
    this.#link = link;
    this.#handlers = handlers;
    this.#ended = new Promise<never>((_, reject) => {
      this.#endWith = reject;
    });
    this.#ended.catch(() => undefined);
    // bare-rpc reads only through the frame reader: whole, decodable frames, a few at a time (see frame-reader.ts).
    const channel = createFramedChannel(link.channel, {
      onViolation: (error) => {
        this.#end(error);
        this.kill();
      },
    });
    this.#rpc = new RPC(channel as unknown as ConstructorParameters<typeof RPC>[0], (incoming) => {
      // Never throw out of here: an exception in an event handler destroys the whole channel.
      try {
        if (incoming.command === Event.frame) handlers.onFrame(decodeJson(incoming.data) as FrameMessage);
        else if (incoming.command === Event.log) handlers.onLog(decodeJson(incoming.data) as LogMessage);
        else if (incoming.command === Event.goodbye) this.#onGoodbye(decodeJson(incoming.data) as GoodbyeMessage);
      } catch {
        // A frame we cannot read is dropped; the call it belongs to still settles through its reply.
      }
    });
    link.channel.on("error", () => undefined);
    void link.gone.then((gone) => {
      if (this.#closing) return this.#end(new WorkerShutdownError());
      if (gone.type === "disconnected") return this.#end(gone.error);
      const { exitCode, signal } = gone;
      // Its goodbye can be lost (a write of ours hit the closed pipe first): the exit code still says what happened.
      if (exitCode === WorkerExitCode.protocolViolation) {
        return this.#end(new ProtocolError({ reason: `the worker closed the channel on a protocol violation (exit code ${exitCode}); its stderr names it` }));
      }
      this.#end(new WorkerCrashedError({ exitCode, signal, reason: this.#goodbye?.reason }));
    });
  }

  /**
   * Completes the version handshake on a fresh link, or fails: WorkerStartFailedError for a local worker,
   * the remote's own typed error (or ServerUnreachableError) for a remote one.
   */
  static async start(options: {
    link: TransportLink;
    config: WorkerConfig;
    handlers: ConnectionHandlers;
    startTimeoutMs?: number;
  }): Promise<WorkerConnection> {
    const connection = new WorkerConnection(options.link, options.handlers);
    const limitMs = options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WorkerStartFailedError({ reason: `no handshake within ${limitMs} ms` })), limitMs);
    });
    try {
      const reply = (await Promise.race([
        connection.request(Command.handshake, { protocolVersion: PROTOCOL_VERSION, config: options.config }),
        timeout,
      ])) as HandshakeReply;
      connection.handshake = reply;
      return connection;
    } catch (error) {
      connection.kill();
      if (WorkerStartFailedError.isInstance(error)) throw error;
      // A remote host's refusal (its typed error) or its loss means what it says; it is not a failed spawn.
      if (options.link.kind === "remote" && ReinError.isInstance(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new WorkerStartFailedError({ reason: `the worker failed during start: ${reason}`, cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The local worker's pid, or the remote worker's as its handshake gave it. */
  get pid(): number | undefined {
    return this.#link.pid ?? this.handshake?.pid;
  }

  get remote(): boolean {
    return this.#link.kind === "remote";
  }

  get closed(): boolean {
    return this.#endError !== undefined;
  }

  /** Sends one command and resolves its `value`, or rejects with the rebuilt typed error. */
  async request(command: number, payload: unknown): Promise<unknown> {
    if (this.#endError) throw this.#endError;
    this.#hold();
    try {
      return await this.#exchange(command, payload);
    } finally {
      this.#release();
    }
  }

  async #exchange(command: number, payload: unknown): Promise<unknown> {
    const outgoing = this.#rpc.request(command);
    outgoing.send(encodeJson(payload));
    const raw = await Promise.race([outgoing.reply(), this.#ended]).catch(async (error: unknown) => {
      if (this.#endError) throw this.#endError;
      // bare-rpc reports a closed channel before the process exit is seen: give the exit a moment to explain
      // it (WorkerCrashedError with the exit code beats CHANNEL_CLOSED), but never wait without bound.
      await Promise.race([this.#ended, unrefDelay(EXIT_EXPLAINS_CLOSE_MS)]);
      throw new ProtocolError({ reason: `the RPC channel failed: ${error instanceof Error ? error.message : String(error)}`, cause: error });
    });
    const reply = decodeJson(raw as Buffer) as CallReply;
    if (reply.ok) return reply.value;
    throw deserializeError(reply.error);
  }

  /**
   * Asks the worker to cancel everything, free its models and exit, and
   * resolves when the process is gone. A worker that does not finish within
   * `timeoutMs` (a stuck channel, native work that never returns) is killed:
   * close() always ends.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.#closing = true;
    // close() awaits the worker's exit: an unref'd child would let the process end before it is seen.
    this.#setReferenced(true);
    if (this.#link.kind === "remote") return this.#leave(timeoutMs);
    // The process itself, not just the channel: close() promises the worker is gone.
    const exited = this.#link.gone;
    if (this.#endError) {
      this.kill();
      await exited;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const drained = this.request(Command.shutdown, {}).then(
      () => this.#link.channel.end(),
      () => undefined,
    );
    if ((await Promise.race([drained.then(() => exited), deadline])) === "timeout") this.kill();
    clearTimeout(timer);
    await exited;
  }

  /**
   * Leaves a shared remote worker: ending the stream is the whole protocol (the host cancels what this
   * connection started and releases its loads). Waits for the stream to close, within `timeoutMs`.
   */
  async #leave(timeoutMs: number): Promise<void> {
    this.#link.channel.end();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#link.gone, deadline]);
    clearTimeout(timer);
    this.kill();
    this.#end(new WorkerShutdownError());
  }

  /** Hard stop (a failed start, a corrupt channel, a shutdown past its limit). */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.#link.kill(signal);
  }

  #onGoodbye(message: GoodbyeMessage): void {
    this.#goodbye = { reason: String(message.reason), fatal: message.fatal === true };
    // A worker with a fatal error exits right after: its exit (WorkerCrashedError with the reason) settles the
    // calls. A protocol violation is the channel's fault, not a crash: say so now, with the worker's reason.
    if (!this.#goodbye.fatal) this.#end(new ProtocolError({ reason: `the worker closed the channel: ${this.#goodbye.reason}` }));
  }

/**
   * An idle client must not keep the process alive (a script that forgets
   * `close()` still exits; the worker then sees its pipe end and exits too),
   * while any reply is awaited (handshake, load, completion, cancel...) the
   * child and its pipe hold the event loop open as usual.
   */
  #hold(): void {
    this.#inFlight += 1;
    if (this.#inFlight === 1) this.#setReferenced(true);
  }

  #release(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0 && !this.#closing) this.#setReferenced(false);
  }

  #setReferenced(referenced: boolean): void {
    this.#link.setReferenced(referenced);
  }

  #end(error: ReinError): void {
    if (this.#endError) return;
    this.#endError = error;
    this.#endWith(error);
    this.#link.channel.destroy();
    this.#handlers.onClosed(error);
  }
}
