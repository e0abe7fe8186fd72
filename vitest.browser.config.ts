import { defineConfig } from "vitest/config";

/** The Stop-button web app in a real browser (Debian's chromium via playwright-core). */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    pool: "forks",
    testTimeout: 90_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
