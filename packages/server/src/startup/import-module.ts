/**
 * `import()` for the worker's own dynamic loads (node-llama-cpp, op modules). Built, the worker runs as a
 * `vm.Script` (see code-cache.ts), and a script has no module loader of its own: Node 20 answers its `import()`
 * only under `--experimental-vm-modules`. So bundle-worker.mjs replaces this module in the bundle with one that
 * calls the `import()` of dist/worker-start.cjs, the loader beside the bundle (same directory, same resolution).
 *
 * @example
 * ```ts
 * const engine = await importModule<typeof import("node-llama-cpp")>("node-llama-cpp");
 * ```
 */
export function importModule<T = unknown>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
