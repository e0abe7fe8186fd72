import { defineConfig } from "vitest/config";
import { sourceCondition } from "./vitest.config.ts";

/** The Stop-button web app in a real browser (Debian's chromium via playwright-core). */
export default defineConfig({
  resolve: sourceCondition.resolve,
  ssr: sourceCondition.ssr,
  test: {
    include: ["test/browser/**/*.test.ts"],
    // One temporary REIN_CACHE_DIR per run, deleted afterwards: tests never touch the user's cache.
    globalSetup: ["test/setup/isolated-cache.ts"],
    pool: "forks",
    execArgv: sourceCondition.execArgv,
    env: sourceCondition.env,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
