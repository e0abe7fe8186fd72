import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const sourceDirectory = path.dirname(fileURLToPath(import.meta.url));
const relativeImport = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g;
// `import { type A } from` is kept as a side-effect import under verbatimModuleSyntax: only `import type` is free.
const engineValueImport = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+["']node-llama-cpp["']/;

function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(relativeImport)) {
      const statement = match[0].trim();
      if (/^(?:import|export)\s+type\s/.test(statement)) continue;
      visit(path.resolve(path.dirname(file), match[1]!));
    }
  };
  visit(entry);
  return [...seen];
}

describe("the worker's start path", () => {
  it("imports node-llama-cpp only dynamically, so the handshake never waits for the engine", () => {
    const files = staticGraph(path.join(sourceDirectory, "worker-entry.ts"));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((file) => engineValueImport.test(readFileSync(file, "utf8"))).map((file) => path.relative(sourceDirectory, file));
    expect(offenders).toEqual([]);
  });

  it("the built worker's loader (worker-start.ts, which runs the bundle of worker-entry.ts) imports no engine either", () => {
    const files = staticGraph(path.join(sourceDirectory, "worker-start.ts"));
    expect(files.map((file) => path.relative(sourceDirectory, file))).toContain(path.join("startup", "code-cache.ts"));
    const offenders = files.filter((file) => engineValueImport.test(readFileSync(file, "utf8"))).map((file) => path.relative(sourceDirectory, file));
    expect(offenders).toEqual([]);
    // Nor the protocol package's index: it builds every zod schema, before the bundle builds its own copy of them.
    const protocolIndex = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+["']@rein\/protocol["']/;
    const indexImports = files.filter((file) => protocolIndex.test(readFileSync(file, "utf8"))).map((file) => path.relative(sourceDirectory, file));
    expect(indexImports).toEqual([]);
  });

  it("never loads PGlite: the RAG store's database lives in its own thread, started by the first RAG op", () => {
    const files = staticGraph(path.join(sourceDirectory, "worker-entry.ts"));
    const pglite = /["']@electric-sql\/pglite(?:-pgvector)?["']/;
    const offenders = files.filter((file) => pglite.test(readFileSync(file, "utf8"))).map((file) => path.relative(sourceDirectory, file));
    expect(offenders).toEqual([]);
    // The thread script is the one place that loads it, and it is not part of the start graph.
    expect(pglite.test(readFileSync(path.join(sourceDirectory, "store", "store-thread-main.ts"), "utf8"))).toBe(true);
    expect(files.map((file) => path.relative(sourceDirectory, file))).not.toContain(path.join("store", "store-thread-main.ts"));
  });

  it("never starts the chat-wrapper thread: its script is not on the start path, nor is node:worker_threads", () => {
    const files = staticGraph(path.join(sourceDirectory, "worker-entry.ts"));
    const relative = files.map((file) => path.relative(sourceDirectory, file));
    // The thread (node-llama-cpp's resolver) starts with the first load of a model file, never before.
    expect(relative).toContain(path.join("engine", "chat-wrapper-thread.ts"));
    expect(relative).not.toContain(path.join("engine", "chat-wrapper-thread-main.ts"));
    const workerThreads = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+["']node:worker_threads["']/;
    const offenders = files.filter((file) => workerThreads.test(readFileSync(file, "utf8"))).map((file) => path.relative(sourceDirectory, file));
    expect(offenders).toEqual([]);
    expect(workerThreads.test(readFileSync(path.join(sourceDirectory, "engine", "chat-wrapper-thread-main.ts"), "utf8"))).toBe(true);
  });

  it("the check itself sees a value import", () => {
    expect(engineValueImport.test('import { getLlama } from "node-llama-cpp";')).toBe(true);
    expect(engineValueImport.test('import { type Llama } from "node-llama-cpp";')).toBe(true);
    expect(engineValueImport.test('import type { Llama } from "node-llama-cpp";')).toBe(false);
  });
});
