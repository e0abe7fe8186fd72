import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchChromium, withScreenshotsOnFailure } from "../helpers/browser.ts";
import { startStopButtonApp, type StopButtonApp } from "./stop-button-app.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STOPPED_MARKER = " [stopped]";

let app: StopButtonApp;
let browser: Browser | undefined;
let browserMissing: unknown;
let context: BrowserContext | undefined;
const pages: Page[] = [];

beforeAll(async () => {
  // A missing chromium fails every test below with its message (a failing hook would only mark them skipped).
  [app, browser] = await Promise.all([startStopButtonApp(), launchChromium().catch((error: unknown) => void (browserMissing = error))]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});
// A fresh browser context per test: no tab of one test streams into the next.
beforeEach(async () => {
  context = await browser?.newContext();
});
afterEach(async () => {
  pages.length = 0;
  await context?.close();
});

async function openTab(): Promise<Page> {
  if (!context) throw browserMissing;
  const page = await context.newPage();
  pages.push(page);
  await page.goto(app.url);
  return page;
}

/** Clicks Send; resolves with the requestId the page shows, once text is streaming into the answer. */
async function send(page: Page, prompt: string): Promise<string> {
  await page.fill("#prompt", prompt);
  await page.click("#send");
  await page.waitForFunction(() => /^[0-9a-f-]{36}$/.test(document.querySelector("#request-id")!.textContent ?? ""));
  const requestId = (await page.textContent("#request-id"))!;
  expect(requestId).toMatch(UUID_V4);
  await page.waitForFunction(() => (document.querySelector("#answer")!.textContent ?? "").length > 20);
  expect(await page.getAttribute("#answer", "data-state")).toBe("streaming");
  return requestId;
}

async function answerText(page: Page): Promise<string> {
  return (await page.textContent("#answer")) ?? "";
}

describe("stop-button web app in chromium", () => {
  it("Send shows the requestId and streams; Stop marks the partial answer stopped and the registry lets go", async () => {
    const page = await openTab();
    await withScreenshotsOnFailure("stop-button-single-tab", () => pages, async () => {
      const requestId = await send(page, "Tell me about lighthouses.");
      await page.click("#stop");
      await page.waitForSelector('#answer[data-state="stopped"]');
      expect(await page.textContent("#status")).toBe("stopped");

      const shown = await answerText(page);
      expect(shown.endsWith(STOPPED_MARKER)).toBe(true);
      const outcome = await app.outcome(requestId);
      expect(outcome).toMatchObject({ requestId, stopReason: "cancelled", cancelReason: "user" });
      // The page shows exactly the partial text the model produced before the cancel.
      expect(shown.length - STOPPED_MARKER.length).toBe(outcome.characters);
      expect(outcome.characters).toBeGreaterThan(20);

      const registry = await app.registry();
      expect(registry.requests.map((request) => request.requestId)).not.toContain(requestId);
      expect(await page.isEnabled("#send")).toBe(true);
      expect(await page.isDisabled("#stop")).toBe(true);
    });
  });

  it("two tabs generate at once; Stop in one leaves the other streaming", async () => {
    const first = await openTab();
    const second = await openTab();
    await withScreenshotsOnFailure("stop-button-two-tabs", () => pages, async () => {
      const [firstId, secondId] = await Promise.all([send(first, "A story about rivers."), send(second, "A story about mountains.")]);
      expect(firstId).not.toBe(secondId);
      const running = await app.registry();
      expect(running.requests.filter((request) => request.state === "running").map((request) => request.requestId).sort()).toEqual([firstId, secondId].sort());

      await first.click("#stop");
      await first.waitForSelector('#answer[data-state="stopped"]');
      expect((await app.outcome(firstId)).stopReason).toBe("cancelled");

      // The other tab keeps receiving tokens after the first one stopped.
      const lengthAtStop = (await answerText(second)).length;
      await second.waitForFunction((length) => (document.querySelector("#answer")!.textContent ?? "").length > length + 50, lengthAtStop);
      expect(await second.getAttribute("#answer", "data-state")).toBe("streaming");
      const registry = await app.registry();
      const ids = registry.requests.map((request) => request.requestId);
      expect(ids).toContain(secondId);
      expect(ids).not.toContain(firstId);

      await second.click("#stop");
      await second.waitForSelector('#answer[data-state="stopped"]');
      expect((await app.outcome(secondId)).cancelReason).toBe("user");
      expect((await app.registry()).requests).toEqual([]);
    });
  });

  it("closing the tab mid-answer cancels the request on the server", async () => {
    const page = await openTab();
    await withScreenshotsOnFailure("stop-button-closed-tab", () => pages, async () => {
      const requestId = await send(page, "A story nobody will finish reading.");
      await page.close();
      const outcome = await app.outcome(requestId);
      expect(outcome).toMatchObject({ requestId, stopReason: "cancelled", cancelReason: "clientDisconnected" });
      expect((await app.registry()).requests.map((request) => request.requestId)).not.toContain(requestId);
    });
  });
});
