import { basename } from "node:path";

/** One `--model [name=]<path|url>` of `rein serve`. */
export interface ServedModelSpec {
  /** What clients put in `model`: the part before `=`, else the file name without `.gguf`. */
  name: string;
  /** A .gguf path, an http(s) URL, or "tiny" for the generated test model (resolved by the caller). */
  modelSrc: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Parses the `--model` values. `name=` is taken only when the part before `=`
 * is a plain name, so a URL with `=` in its query string stays one source.
 * Throws an Error naming the value when a name is repeated or empty.
 *
 * @example
 * ```ts
 * parseModelSpecs(["chat=./qwen.gguf", "https://host/nomic-embed.gguf?x=1"]);
 * // [{ name: "chat", modelSrc: "./qwen.gguf" }, { name: "nomic-embed", modelSrc: "https://host/nomic-embed.gguf?x=1" }]
 * ```
 */
export function parseModelSpecs(values: readonly string[]): ServedModelSpec[] {
  const specs = values.map((value): ServedModelSpec => {
    const equals = value.indexOf("=");
    const prefix = equals > 0 ? value.slice(0, equals) : "";
    if (NAME_PATTERN.test(prefix) && !prefix.includes(":")) return { name: prefix, modelSrc: value.slice(equals + 1) };
    return { name: defaultName(value), modelSrc: value };
  });
  const seen = new Set<string>();
  for (const spec of specs) {
    if (spec.modelSrc === "") throw new Error(`--model ${spec.name}= names no model file`);
    if (seen.has(spec.name)) throw new Error(`--model: two models are named "${spec.name}"; give one another name with name=<path|url>`);
    seen.add(spec.name);
  }
  return specs;
}

function defaultName(modelSrc: string): string {
  let path = modelSrc;
  if (/^https?:\/\//i.test(modelSrc)) {
    try {
      path = new URL(modelSrc).pathname;
    } catch {
      // Not a URL after all: the worker's own validation names the problem.
    }
  }
  const name = basename(path).replace(/\.gguf$/i, "");
  return name === "" ? "model" : name;
}
