import { defineConfig } from "vitest/config";

// Vite's own server defaults (its DEFAULT_SERVER_CONDITIONS): setting `conditions` replaces them, so they are repeated.
const defaultServerConditions = ["module", "node", "development|production"];

/**
 * Tests run the packages from source: the "@rein/source" export condition points `@rein/*` at src/ (see
 * docs/packaging.md), both for modules vite transforms and for Node's own resolver in the test processes,
 * which is what `require.resolve("@rein/server/worker-entry")` and spawned workers use.
 */
export const sourceCondition = {
  resolve: { conditions: ["@rein/source", ...defaultServerConditions] },
  ssr: { resolve: { conditions: ["@rein/source", ...defaultServerConditions] } },
  execArgv: ["--conditions=@rein/source"],
  // Inherited by every process a test starts (the CLI, examples, workers), so they run from source too.
  env: { NODE_OPTIONS: "--conditions=@rein/source" },
};

export default defineConfig({
  resolve: sourceCondition.resolve,
  ssr: sourceCondition.ssr,
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // Browser tests need Debian's chromium: `npm run test:browser` (vitest.browser.config.ts), run by .ci/run.
    exclude: ["**/node_modules/**", "test/browser/**"],
    // One temporary REIN_CACHE_DIR per run, deleted afterwards: tests never touch the user's cache.
    globalSetup: ["test/setup/isolated-cache.ts"],
    // Worker processes and native models: forks keep each test file's process state apart.
    pool: "forks",
    execArgv: sourceCondition.execArgv,
    env: sourceCondition.env,
    // Safety nets against hangs, not timing assertions: a worker-heavy test on a CI machine that runs several
    // suites at once on 2 cores (load ~20 was seen) needs minutes; a hang is caught all the same.
    testTimeout: 240_000,
    hookTimeout: 300_000,
    // Test files that start real workers share two cores; more at once only adds contention.
    maxWorkers: 2,
  },
});
