/**
 * The table of bad inputs for the validation tests: one row per mistake a
 * caller can make, across every public function. `field` is the dotted path
 * the InvalidInputError must name; `raw` is the same mistake as a wire payload,
 * for the worker-side check that skips client validation.
 */
import { ErrorCode, type ReinClient } from "@rein/sdk";

export interface BadInputRow {
  /** Public function and mistake, e.g. "completion: empty history". */
  name: string;
  invoke: (client: ReinClient, context: { modelId: string }) => Promise<unknown>;
  code: number;
  /** The field the error must name (string: exact; RegExp: for unions where two names are right). */
  field?: string | RegExp;
  /** For a missing one-of (`text` or `texts`), the error may name no single field but its reason must name the choices. */
  reasonMentions?: RegExp;
  /** For ModelNotLoadedError rows: the modelId the error must carry. */
  modelId?: string;
  /**
   * True when only the worker can know (an unknown modelId, a custom op's own
   * schema); every other row must fail on the client, before anything is sent.
   */
  workerSide?: boolean;
  /** The same mistake sent straight to the worker: a `call` (op + input) or a `cancel` target. */
  raw?: { op: string; input: unknown } | { cancelTarget: unknown };
}

const INVALID = ErrorCode.InvalidInput;
const NOT_LOADED = ErrorCode.ModelNotLoaded;
const user = [{ role: "user" as const, content: "hi" }];
const any = (value: unknown) => value as never;

const completionRow = (name: string, extra: Record<string, unknown>, field: string | RegExp, rawToo = false): BadInputRow => ({
  name: `completion: ${name}`,
  invoke: (client, { modelId }) => client.completion(any({ modelId, history: user, ...extra })).final,
  code: INVALID,
  field,
  raw: rawToo ? { op: "completion", input: { modelId: "m", history: user, ...extra } } : undefined,
});

const loadRow = (name: string, params: Record<string, unknown>, field: string | RegExp, rawToo = false): BadInputRow => ({
  name: `loadModel: ${name}`,
  invoke: (client) => client.loadModel(any(params)),
  code: INVALID,
  field,
  raw: rawToo ? { op: "loadModel", input: params } : undefined,
});

const downloadRow = (name: string, params: Record<string, unknown>, field: string, rawToo = false): BadInputRow => ({
  name: `downloadAsset: ${name}`,
  invoke: (client) => client.downloadAsset(any(params)),
  code: INVALID,
  field,
  raw: rawToo ? { op: "downloadAsset", input: params } : undefined,
});

/** `wireTarget`: the same mistake in the wire's explicit form (the short forms are normalised by the client). */
const cancelRow = (name: string, target: unknown, field: string | RegExp, wireTarget?: unknown, reasonMentions?: RegExp): BadInputRow => ({
  name: `cancel: ${name}`,
  invoke: (client) => client.cancel(any(target)),
  code: INVALID,
  field,
  reasonMentions,
  raw: wireTarget !== undefined ? { cancelTarget: wireTarget } : undefined,
});

const goodUrl = "http://127.0.0.1:9/asset.bin";

export const badInputRows: BadInputRow[] = [
  // loadModel
  loadRow("modelSrc missing", {}, "modelSrc", true),
  loadRow("modelSrc is a number", { modelSrc: 42 }, "modelSrc", true),
  loadRow("modelSrc empty", { modelSrc: "" }, "modelSrc"),
  // The file name is never checked (a GGUF saved as model.bin loads); the worker reads the magic bytes.
  { ...loadRow("a file that is not a GGUF (path trick to a system file)", { modelSrc: "../../../../etc/passwd" }, "modelSrc"), workerSide: true },
  loadRow("NUL byte in the path", { modelSrc: "/tmp/evil\0.gguf" }, "modelSrc", true),
  loadRow("ftp: scheme", { modelSrc: "ftp://example.com/model.gguf" }, "modelSrc", true),
  loadRow("file: scheme", { modelSrc: "file:///etc/model.gguf" }, "modelSrc"),
  loadRow("negative ctx_size", { modelSrc: "/tmp/m.gguf", modelConfig: { ctx_size: -1 } }, "modelConfig.ctx_size", true),
  loadRow("parallel 0", { modelSrc: "/tmp/m.gguf", modelConfig: { parallel: 0 } }, "modelConfig.parallel"),
  loadRow("fractional threads", { modelSrc: "/tmp/m.gguf", modelConfig: { threads: 1.5 } }, "modelConfig.threads"),
  loadRow("absurd batch_size", { modelSrc: "/tmp/m.gguf", modelConfig: { batch_size: 1e9 } }, "modelConfig.batch_size"),
  loadRow("gpu_layers as a string", { modelSrc: "/tmp/m.gguf", modelConfig: { gpu_layers: "all" } }, "modelConfig.gpu_layers"),
  loadRow("unknown modelConfig key", { modelSrc: "/tmp/m.gguf", modelConfig: { contextSize: 512 } }, "modelConfig.contextSize", true),
  loadRow("sha256 not hex", { modelSrc: "https://example.com/m.gguf", sha256: "abc" }, "sha256"),
  loadRow("negative timeoutMs", { modelSrc: "/tmp/m.gguf", timeoutMs: -5 }, "timeoutMs"),
  loadRow("non-UUID requestId", { modelSrc: "/tmp/m.gguf", requestId: "request-1" }, "requestId"),
  loadRow("signal that is not an AbortSignal", { modelSrc: "/tmp/m.gguf", signal: "abort!" }, "signal"),
  loadRow("onProgress that is not a function", { modelSrc: "/tmp/m.gguf", onProgress: "print it" }, "onProgress"),
  loadRow("parent that is not a request id", { modelSrc: "/tmp/m.gguf", parent: "my-parent" }, "parent"),

  // unloadModel
  { name: "unloadModel: modelId missing", invoke: (client) => client.unloadModel(any({})), code: INVALID, field: "modelId", raw: { op: "unloadModel", input: {} } },
  { name: "unloadModel: modelId is a number", invoke: (client) => client.unloadModel(any({ modelId: 7 })), code: INVALID, field: "modelId" },
  { name: "unloadModel: unknown modelId", invoke: (client) => client.unloadModel({ modelId: "never-loaded" }), code: NOT_LOADED, modelId: "never-loaded", workerSide: true },

  // completion
  { name: "completion: params missing", invoke: (client) => client.completion(any(undefined)).final, code: INVALID, field: "modelId" },
  { name: "completion: modelId missing", invoke: (client) => client.completion(any({ history: user })).final, code: INVALID, field: "modelId", raw: { op: "completion", input: { history: user } } },
  completionRow("modelId empty", { modelId: "" }, "modelId"),
  completionRow("modelId is a number", { modelId: 5 }, "modelId"),
  completionRow("history missing", { history: undefined }, "history"),
  completionRow("empty history", { history: [] }, "history", true),
  completionRow("history is a string", { history: "hello" }, "history"),
  completionRow("unknown role", { history: [{ role: "robot", content: "x" }] }, "history.0.role", true),
  completionRow("message without content", { history: [{ role: "user" }] }, "history.0.content"),
  completionRow("content is a number", { history: [{ role: "user", content: 5 }] }, "history.0.content", true),
  completionRow("maxTokens 0", { maxTokens: 0 }, "maxTokens"),
  completionRow("negative maxTokens", { maxTokens: -1 }, "maxTokens", true),
  completionRow("absurd maxTokens", { maxTokens: 1e12 }, "maxTokens"),
  completionRow("maxTokens NaN", { maxTokens: Number.NaN }, "maxTokens"),
  completionRow("negative temperature", { temperature: -0.5 }, "temperature", true),
  completionRow("temperature as a string", { temperature: "hot" }, "temperature"),
  completionRow("topP 0", { topP: 0 }, "topP"),
  completionRow("topP above 1", { topP: 2 }, "topP"),
  completionRow("negative topK", { topK: -1 }, "topK"),
  completionRow("seed beyond 32 bits", { seed: 2 ** 40 }, "seed"),
  completionRow("stopSequences as a string", { stopSequences: "END" }, "stopSequences"),
  completionRow("empty stop sequence", { stopSequences: [""] }, "stopSequences.0"),
  completionRow("misspelt option", { maxTokenz: 5 }, "maxTokenz", true),
  completionRow("timeoutMs 0", { timeoutMs: 0 }, "timeoutMs"),
  completionRow("timeoutMs Infinity", { timeoutMs: Number.POSITIVE_INFINITY }, "timeoutMs"),
  completionRow("non-UUID requestId", { requestId: "12345" }, "requestId"),
  {
    name: "completion: unknown modelId",
    invoke: (client) => client.completion({ modelId: "never-loaded", history: user }).final,
    code: NOT_LOADED,
    modelId: "never-loaded",
    workerSide: true,
  },

  // embed
  { name: "embed: empty text", invoke: (client, { modelId }) => client.embed({ modelId, text: "" }), code: INVALID, field: "text", raw: { op: "embed", input: { modelId: "m", text: "" } } },
  { name: "embed: empty texts", invoke: (client, { modelId }) => client.embed({ modelId, texts: [] }), code: INVALID, field: "texts", raw: { op: "embed", input: { modelId: "m", texts: [] } } },
  { name: "embed: a text that is a number", invoke: (client, { modelId }) => client.embed(any({ modelId, texts: ["a", 5] })), code: INVALID, field: "texts.1" },
  {
    name: "embed: neither text nor texts",
    invoke: (client, { modelId }) => client.embed(any({ modelId })),
    code: INVALID,
    field: /^(texts?)?$/,
    reasonMentions: /text/,
    raw: { op: "embed", input: { modelId: "m" } },
  },
  { name: "embed: both text and texts", invoke: (client, { modelId }) => client.embed(any({ modelId, text: "a", texts: ["b"] })), code: INVALID, field: /^texts?$/ },
  { name: "embed: modelId is a number", invoke: (client) => client.embed(any({ modelId: 5, text: "a" })), code: INVALID, field: "modelId" },
  { name: "embed: unknown modelId", invoke: (client) => client.embed({ modelId: "never-loaded", text: "a" }), code: NOT_LOADED, modelId: "never-loaded", workerSide: true },

  // downloadAsset
  downloadRow("url missing", {}, "url", true),
  downloadRow("url not a URL", { url: "not a url" }, "url"),
  downloadRow("file: URL", { url: "file:///etc/passwd" }, "url", true),
  downloadRow("ftp: URL", { url: "ftp://example.com/asset.bin" }, "url"),
  downloadRow("javascript: URL", { url: "javascript:alert(1)" }, "url"),
  downloadRow("data: URL", { url: "data:text/plain,hello" }, "url", true),
  downloadRow("fileName escaping the cache with ..", { url: goodUrl, fileName: "../../etc/passwd" }, "fileName", true),
  downloadRow("fileName with a separator", { url: goodUrl, fileName: "nested/asset.bin" }, "fileName"),
  downloadRow("fileName with a backslash", { url: goodUrl, fileName: "..\\..\\asset.bin" }, "fileName"),
  downloadRow("fileName '..'", { url: goodUrl, fileName: ".." }, "fileName", true),
  downloadRow("fileName with NUL", { url: goodUrl, fileName: "asset\0.bin" }, "fileName"),
  downloadRow("sha256 not hex", { url: goodUrl, sha256: "z".repeat(64) }, "sha256"),

  // cancel
  cancelRow("empty target", {}, /^(requestId|modelId)?$/, undefined, /requestId|modelId/),
  cancelRow("target is null", null, "", undefined, /requestId.*modelId/),
  // cancel() with no argument used to answer "must have one of the fields " (an empty list).
  cancelRow("no argument at all", undefined, "", undefined, /requestId.*modelId/),
  cancelRow("target is a bare id string", "5f0c6a8e-3b7e-4b8e-9b0e-2f6c1d2a3b4c", "", undefined, /requestId.*modelId/),
  cancelRow("non-UUID requestId", { requestId: "123" }, "requestId", { operation: "request", requestId: "123" }),
  cancelRow("unknown kind in broad cancel", { modelId: "m", kind: "bogus" }, "kind", { operation: "broad", modelId: "m", kind: "bogus" }),
  cancelRow("unknown kind in explicit broad cancel", { operation: "broad", modelId: "m", kind: "everything" }, "kind", { operation: "broad", modelId: "m", kind: "everything" }),
  cancelRow("unknown operation", { operation: "nuke", modelId: "m" }, "operation"),
  cancelRow("empty modelId", { modelId: "" }, "modelId"),

  // call (custom ops)
  { name: "call: empty op name", invoke: (client) => client.call("", {}), code: INVALID, field: "op" },
  { name: "call: op name is a number", invoke: (client) => client.call(any(42), {}), code: INVALID, field: "op" },
  { name: "call: non-UUID requestId", invoke: (client) => client.call("reliability.echo", { value: 1 }, { requestId: "abc" }), code: INVALID, field: "requestId" },
  { name: "call: negative timeoutMs", invoke: (client) => client.call("reliability.echo", { value: 1 }, { timeoutMs: -1 }), code: INVALID, field: "timeoutMs" },
  { name: "call: unknown kind", invoke: (client) => client.call("reliability.echo", { value: 1 }, { kind: any("weird") }), code: INVALID, field: "kind" },
  { name: "call: parent that is not a request id", invoke: (client) => client.call("reliability.echo", { value: 1 }, { parent: "nope" }), code: INVALID, field: "parent" },
  {
    name: "call: input rejected by the op's own schema",
    invoke: (client) => client.call("reliability.throw", { kind: "nonsense" }),
    code: INVALID,
    field: "kind",
    workerSide: true,
    raw: { op: "reliability.throw", input: { kind: "nonsense" } },
  },
  {
    name: "call: unknown key for the op's strict schema",
    invoke: (client) => client.call("reliability.echo", { value: 1, extra: true }),
    code: INVALID,
    field: "extra",
    workerSide: true,
  },
];
