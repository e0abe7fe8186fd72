// The store thread: one PGlite database (one workspace) off the worker's main thread. PGlite runs Postgres
// compiled to WASM synchronously, so a batch insert or an index build would block whatever thread runs it for
// seconds; here it blocks only this one, and the main thread keeps answering cancels and other requests.
import { parentPort, workerData } from "node:worker_threads";
import { serializeError } from "@rein/protocol";
import { WorkspaceDatabase } from "./workspace-database.ts";
import type { StoreThreadReply, StoreThreadRequest, StoreThreadData } from "./store-thread-messages.ts";

const port = parentPort;
if (port === null) throw new Error("store-thread-main runs only as a worker thread");
const { dataDir } = workerData as StoreThreadData;

try {
  // Loaded here, never by the worker's main thread: the WASM module and its data files cost ~0.5 s and memory.
  const { PGlite } = await import("@electric-sql/pglite");
  const { vector } = await import("@electric-sql/pglite-pgvector");
  const pglite = await PGlite.create({ dataDir, extensions: { vector } });
  const database = new WorkspaceDatabase(pglite);
  await database.init();

  // One call at a time: statements of two calls must never interleave inside one transaction on this connection.
  let queue: Promise<void> = Promise.resolve();
  port.on("message", (request: StoreThreadRequest) => {
    queue = queue.then(async () => {
      let reply: StoreThreadReply;
      try {
        if (request.method === "close") {
          await pglite.close();
          reply = { id: request.id, ok: true, value: undefined };
        } else {
          const method = database[request.method] as (...args: unknown[]) => Promise<unknown>;
          reply = { id: request.id, ok: true, value: await method.apply(database, request.args) };
        }
      } catch (error) {
        reply = { id: request.id, ok: false, error: serializeError(error, { operation: `store.${request.method}` }) };
      }
      port.postMessage(reply);
      if (request.method === "close") port.close();
    });
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, error: serializeError(error, { operation: "store.open" }) });
}
