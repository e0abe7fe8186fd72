import { Duplex } from "node:stream";

/**
 * Two connected in-memory duplex streams: what one writes, the other reads.
 * An in-process transport for tests of the dispatcher and the framing (the
 * same seam a WebSocket or HyperDHT stream plugs into).
 *
 * @example
 * ```ts
 * const [clientSide, workerSide] = createDuplexPair();
 * clientSide.write(Buffer.from("hi"));
 * workerSide.once("data", (chunk) => console.log(String(chunk))); // "hi"
 * ```
 */
export function createDuplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  const side = (other: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
      destroy(error, callback) {
        if (!other().destroyed) other().destroy();
        callback(error);
      },
    });
  sides.push(side(() => sides[1]!), side(() => sides[0]!));
  return [sides[0]!, sides[1]!];
}
