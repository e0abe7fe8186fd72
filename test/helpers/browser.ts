/**
 * Debian's chromium driven by playwright-core, for the browser tests. A
 * missing browser is a failure with instructions, never a skip.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * await withScreenshotsOnFailure("stop-button", () => [page], async () => { ... });
 * await browser.close();
 * ```
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.REIN_CHROMIUM ?? "/usr/bin/chromium";
const RESULTS_DIR = fileURLToPath(new URL("../../test-results/", import.meta.url));

/** Launches headless chromium with the flags that work in containers without a GPU or network. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. The browser tests need it: ` +
        "apt-get install -y chromium (or set REIN_CHROMIUM to a chromium binary). They are never skipped.",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/**
 * Runs `body`; if it throws, saves a screenshot of every page `pages()` returns
 * to `test-results/<name>-<index>.png` first, then rethrows.
 */
export async function withScreenshotsOnFailure(name: string, pages: () => Page[], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    await mkdir(RESULTS_DIR, { recursive: true });
    const saved: string[] = [];
    for (const [index, page] of pages().entries()) {
      if (page.isClosed()) continue;
      const path = `${RESULTS_DIR}${name.replace(/[^a-z0-9-]+/gi, "-")}-${index}.png`;
      await page.screenshot({ path, fullPage: true }).then(() => saved.push(path), () => undefined);
    }
    if (error instanceof Error && saved.length > 0) error.message += `\nscreenshots: ${saved.join(", ")}`;
    throw error;
  }
}
