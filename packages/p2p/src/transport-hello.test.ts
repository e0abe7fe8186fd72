import { Duplex, PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeHello, exchangeHello } from "./transport-hello.ts";

/** Two ends of an in-memory byte stream. */
function duplexPair(): [Duplex, Duplex] {
  const toRight = new PassThrough();
  const toLeft = new PassThrough();
  return [Duplex.from({ readable: toLeft, writable: toRight }), Duplex.from({ readable: toRight, writable: toLeft })];
}

describe("exchangeHello", () => {
  it("both sides exchange hellos; bytes after the hello in the same read reach adopt, later ones reach its reader", async () => {
    const [client, server] = duplexPair();
    const received: Buffer[] = [];
    const serverSide = exchangeHello(server, {
      role: "server",
      timeoutMs: 5_000,
      adopt: (rest) => {
        received.push(rest);
        server.on("data", (chunk: Buffer) => received.push(chunk));
        return "adopted";
      },
    });
    const clientSide = exchangeHello(client, { role: "client", timeoutMs: 5_000, adopt: (rest) => rest });
    expect(await clientSide).toEqual({ ok: true, value: Buffer.alloc(0) });
    client.write(Buffer.from("frame"));
    expect(await serverSide).toEqual({ ok: true, value: "adopted" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(received).toString()).toBe("frame");
  });

  it("hands the bytes that follow the hello in one chunk to adopt", async () => {
    const [client, server] = duplexPair();
    client.on("data", () => undefined);
    const serverSide = exchangeHello(server, { role: "server", timeoutMs: 5_000, adopt: (rest) => rest.toString() });
    client.write(Buffer.concat([encodeHello("client"), Buffer.from("first frame")]));
    expect(await serverSide).toEqual({ ok: true, value: "first frame" });
  });

  it("a silent stream times out, retryable, and leaves no listener behind", async () => {
    const [, server] = duplexPair();
    const listeners = server.listenerCount("data");
    const outcome = await exchangeHello(server, { role: "server", timeoutMs: 50, adopt: () => "never" });
    expect(outcome).toEqual({ ok: false, reason: "no hello within 50 ms", retry: true });
    expect(server.listenerCount("data")).toBe(listeners);
  });

  it("refuses, without a retry, a peer that is not Rein, another hello version, or the wrong role", async () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from("GET / HTTP/1.1\r\n"), /not a Rein peer/],
      [encodeHello("client", 9), /version 9/],
      [encodeHello("server"), /not from a client/],
    ];
    for (const [bytes, reason] of cases) {
      const [client, server] = duplexPair();
      client.on("data", () => undefined);
      const outcome = exchangeHello(server, { role: "server", timeoutMs: 5_000, adopt: () => "never" });
      client.write(bytes);
      const settled = await outcome;
      expect(settled.ok).toBe(false);
      if (!settled.ok) {
        expect(settled.reason).toMatch(reason);
        expect(settled.retry).toBe(false);
      }
    }
  });

  it("a stream that closes before the hello is retryable", async () => {
    const [client, server] = duplexPair();
    client.on("error", () => undefined);
    const outcome = exchangeHello(server, { role: "server", timeoutMs: 5_000, adopt: () => "never" });
    server.destroy();
    expect(await outcome).toMatchObject({ ok: false, retry: true });
  });
});
