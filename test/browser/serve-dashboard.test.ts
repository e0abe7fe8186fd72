import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium, withScreenshotsOnFailure } from "../helpers/browser.ts";
import { chatBody, readEvents, startServeProcess, type ServeProcess } from "../serve/serve-process.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KEY = "dashboard-key-1";
const OTHER = "dashboard-key-2";
const ADMIN = "dashboard-admin";

let server: ServeProcess;
let browser: Browser | undefined;
let browserMissing: unknown;
let context: BrowserContext | undefined;
const pages: Page[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startServeProcess(["--model", "tiny", "--parallel", "1", "--api-key", KEY, "--api-key", OTHER, "--admin-key", ADMIN]),
    launchChromium().catch((error: unknown) => void (browserMissing = error)),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});
beforeEach(async () => {
  context = await browser?.newContext();
});
afterEach(async () => {
  pages.length = 0;
  await context?.close();
  // Whatever a test left running is cancelled, so the next one starts on an idle model.
  await server.post("/v1/rein/models/tiny/cancel", {}, { key: ADMIN });
  await server.waitForRegistry((view) => view.requests.length === 0, "an empty registry", ADMIN);
});

async function openDashboard(key: string | null = KEY): Promise<Page> {
  if (!context) throw browserMissing;
  const page = await context.newPage();
  pages.push(page);
  await page.goto(server.url + "/");
  if (key !== null) {
    await page.fill("#api-key", key);
    await page.click("#save-key");
    await page.waitForFunction(() => (document.querySelector("#status")!.textContent ?? "").startsWith("live"));
  }
  return page;
}

function longStream(key: string) {
  return server.post("/v1/chat/completions", chatBody({ stream: true, max_tokens: 100_000 }), { key });
}

const row = (requestId: string) => `#request-rows tr[data-request-id="${requestId}"]`;

describe("rein serve dashboard in chromium", () => {
  it("asks for the key, refuses a wrong one, then shows the live registry", async () => {
    const page = await openDashboard(null);
    await withScreenshotsOnFailure("serve-dashboard-key", () => pages, async () => {
      expect(await page.isVisible("#key-form")).toBe(true);
      await page.fill("#api-key", "wrong");
      await page.click("#save-key");
      await page.waitForFunction(() => document.querySelector("#status")!.classList.contains("error") && !document.querySelector("#key-form")!.classList.contains("hidden"));
      await page.fill("#api-key", KEY);
      await page.click("#save-key");
      await page.waitForFunction(() => (document.querySelector("#status")!.textContent ?? "").startsWith("live"));
      expect(await page.textContent('#model-rows tr[data-model="tiny"] td')).toBe("tiny");
      expect(await page.textContent("#memory")).toMatch(/rss \d+\.\d MB/);
      expect(await page.evaluate(() => sessionStorage.getItem("rein-api-key"))).toBe(KEY);
    });
  });

  it("the playground streams an answer with its requestId; Stop cancels it on the server", async () => {
    const page = await openDashboard();
    await withScreenshotsOnFailure("serve-dashboard-playground", () => pages, async () => {
      await page.fill("#max-tokens", "100000");
      await page.fill("#prompt", "Tell me about lighthouses.");
      await page.click("#send");
      await page.waitForFunction(() => /^[0-9a-f-]{36}$/.test(document.querySelector("#request-id")!.textContent ?? ""));
      const requestId = (await page.textContent("#request-id"))!;
      expect(requestId).toMatch(UUID_V4);
      await page.waitForFunction(() => (document.querySelector("#answer")!.textContent ?? "").length > 20);
      // The registry table shows the page's own request while it runs.
      await page.waitForSelector(`${row(requestId)}[data-state="running"]`);
      expect(await page.textContent(`${row(requestId)} .kind`)).toBe("completion");
      expect(await page.textContent(`${row(requestId)} .model`)).toBe("tiny");
      await page.click("#stop");
      await page.waitForSelector('#answer[data-state="stopped"]');
      await server.waitForRegistry((view) => !view.requests.some((request) => request.requestId === requestId), "the request to end", ADMIN);
      await page.waitForSelector(row(requestId), { state: "detached" });
      expect(await page.isEnabled("#send")).toBe(true);
    });
  });

  it("a Cancel button per request, queue positions, and 'cancel all on this model' scoped to the key", async () => {
    const page = await openDashboard();
    await withScreenshotsOnFailure("serve-dashboard-cancel", () => pages, async () => {
      const running = await longStream(KEY);
      const runningId = running.headers.get("x-request-id")!;
      const runningEvents = await readEvents(running, (events) => events.length >= 2);
      const queued = await longStream(KEY);
      const queuedId = queued.headers.get("x-request-id")!;
      const others = await longStream(OTHER); // another key's: never shown on this page
      const othersId = others.headers.get("x-request-id")!;
      await page.waitForSelector(`${row(queuedId)}[data-state="queued"]`);
      expect(await page.textContent(`${row(queuedId)} .queue-position`)).toBe("#1");
      expect(await page.$(row(othersId))).toBeNull();
      expect(await page.$$eval("#request-rows tr", (rows) => rows.length)).toBe(2);

      await page.click(`${row(queuedId)} button.cancel`);
      await page.waitForSelector(row(queuedId), { state: "detached" });
      expect(await queued.text()).toContain('"code":"request_cancelled"');

      await page.click('#model-rows tr[data-model="tiny"] button.cancel-model');
      await page.waitForSelector(row(runningId), { state: "detached" });
      await runningEvents.reader.cancel();
      // The other key's request was not this page's to cancel: it still runs (or waits) on the server.
      const view = await server.registry(ADMIN);
      expect(view.requests.map((request) => request.requestId)).toEqual([othersId]);
      await others.body?.cancel();
    });
  });
});
