import type { Duplex } from "node:stream";

/**
 * The transport hello: 8 bytes each side sends first, before any Rein frame,
 * and waits for from the other side. A HyperDHT stream can report "open" and
 * never carry a byte (measured: 3 of 23 fresh connections); waiting for the
 * other side's hello, with a short timeout, is what tells a live stream from
 * such a one. The version byte lets a later transport refuse an older peer
 * in words instead of in corrupt frames.
 */
export const HELLO_VERSION = 1;
const MAGIC = Buffer.from("REIN", "ascii");
const HELLO_BYTES = 8;

export type HelloRole = "client" | "server";

export type HelloOutcome<T> =
  /** `value`: what `adopt` made of the stream. */
  | { ok: true; value: T }
  /** `retry`: the stream looked dead (silence, closed), so a fresh connection may work; a wrong hello will not. */
  | { ok: false; reason: string; retry: boolean };

/** The 8 bytes of a hello: "REIN", the version, the sender's role, two zero bytes. */
export function encodeHello(role: HelloRole, version = HELLO_VERSION): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([version, role === "client" ? 1 : 2, 0, 0])]);
}

/**
 * Sends this side's hello and waits (at most `timeoutMs`) for the other's.
 * On success `adopt` is called synchronously in the read that completed the
 * hello, with the bytes that followed it (Rein frames): whatever takes the
 * stream over attaches its reader there, so no later read can fall in a gap.
 * Settles once; never destroys the stream, and leaves none of its listeners
 * on it, so the caller either hands the stream on or closes it.
 *
 * @example
 * ```ts
 * const outcome = await exchangeHello(socket, { role: "client", timeoutMs: 1_500, adopt: (rest) => new PeerStream(socket, rest) });
 * if (!outcome.ok) socket.destroy();
 * ```
 */
export function exchangeHello<T>(stream: Duplex, options: { role: HelloRole; timeoutMs: number; adopt: (rest: Buffer) => T }): Promise<HelloOutcome<T>> {
  const expectedRole = options.role === "client" ? 2 : 1;
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const finish = (outcome: HelloOutcome<T>) => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("close", onClose);
      stream.off("error", onError);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < HELLO_BYTES) return;
      const hello = received.subarray(0, HELLO_BYTES);
      if (!hello.subarray(0, 4).equals(MAGIC)) return finish({ ok: false, reason: "the other side is not a Rein peer (no transport hello)", retry: false });
      if (hello[4] !== HELLO_VERSION) return finish({ ok: false, reason: `the other side speaks transport hello version ${hello[4]}, this one ${HELLO_VERSION}`, retry: false });
      if (hello[5] !== expectedRole) return finish({ ok: false, reason: `the other side's hello is not from a ${options.role === "client" ? "server" : "client"}`, retry: false });
      const rest = received.subarray(HELLO_BYTES);
      clearTimeout(timer);
      stream.off("data", onData);
      finish({ ok: true, value: options.adopt(rest) });
    };
    const onClose = () => finish({ ok: false, reason: "the connection closed before the hello", retry: true });
    const onError = (error: Error) => finish({ ok: false, reason: `the connection broke before the hello: ${error.message}`, retry: true });
    const timer = setTimeout(() => finish({ ok: false, reason: `no hello within ${options.timeoutMs} ms`, retry: true }), options.timeoutMs);
    stream.on("data", onData);
    stream.once("close", onClose);
    stream.once("error", onError);
    stream.write(encodeHello(options.role));
  });
}
