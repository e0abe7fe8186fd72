import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    // Browser tests need Debian's chromium: `npm run test:browser` (vitest.browser.config.ts), run by .ci/run.
    exclude: ["**/node_modules/**", "test/browser/**"],
    // One temporary REIN_CACHE_DIR per run, deleted afterwards: tests never touch the user's cache.
    globalSetup: ["test/setup/isolated-cache.ts"],
    // Worker processes and native models: forks keep each test file's process state apart.
    pool: "forks",
    // Safety nets against hangs, not timing assertions: a worker-heavy test on a CI machine that runs several
    // suites at once on 2 cores (load ~20 was seen) needs minutes; a hang is caught all the same.
    testTimeout: 240_000,
    hookTimeout: 300_000,
    // Test files that start real workers share two cores; more at once only adds contention.
    maxWorkers: 2,
  },
});
