import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gate, gated, refund, shout } from "./fixtures/graphs.js";
import { sdk, serve, tempDir } from "./helpers.js";

// The viewer in real headless Chromium (Debian's chromium, driven by playwright-core). Screenshots
// go to packages/server/test/artifacts/ (gitignored; CI keeps them as artifacts).

const CHROMIUM = process.env["BLOCKWORK_CHROMIUM"] ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const VIEWER = fileURLToPath(new URL("../dist/ui/index.html", import.meta.url));

describe("the run viewer in headless Chromium", () => {
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    // Never skipped: without a browser this test fails and says how to get one.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this), or point BLOCKWORK_CHROMIUM at a Chromium binary.`);
    if (!existsSync(VIEWER)) throw new Error("the viewer is not built: run npm run build (or npm run build:ui -w @blockwork/server)");
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(tempDir("bw-chromium-"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1400, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
  });

  it("loads, draws the graph, follows a run live, resumes a suspended run through its form, without console errors", async () => {
    const server = await serve({ graphs: [shout, gated, refund] });
    const client = sdk(server);
    await client.runs.wait(null, "shout", { input: { text: "viewer" } });

    // The page and a graph.
    await page.goto(`${server.url}/ui`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 }).catch((error: Error) => {
      throw new Error(`${error.message}\n${problems.join("\n")}`);
    });
    await page.click("text=shout");
    await page.waitForSelector("[data-testid=graph][data-drawn=true] svg");
    expect(await page.locator("[data-testid=graph] svg .node").count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(ARTIFACTS, "graph.png"), fullPage: true });

    // A run's live timeline: it advances while the run goes on.
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "gated", { input: { key: "browser" } });
    const bwRunId = (run.metadata as { blockwork_run_id: string }).blockwork_run_id;
    await page.goto(`${server.url}/ui#/run/${bwRunId}`);
    await page.waitForSelector("[data-testid=timeline] li[data-kind='block.completed']");
    expect(await page.locator("[data-testid=run-status]").textContent()).toBe("running");
    expect(await page.locator("[data-testid=timeline] li").count()).toBe(1);
    gate("browser").open();
    await page.waitForSelector("[data-testid=run-status]:text('completed')");
    await page.waitForFunction("document.querySelectorAll(\"[data-testid=timeline] li[data-kind='block.completed']\").length === 3");
    await page.waitForSelector("[data-testid=blocks] tr[data-block=after]");
    expect(await page.locator("[data-testid=blocks] tr[data-block=hold] td").nth(1).textContent()).toContain('"key": "browser"');
    await page.waitForSelector("[data-testid=run-graph] svg g.completed");
    await page.screenshot({ path: join(ARTIFACTS, "run-live.png"), fullPage: true });

    // A suspended run, resumed through the form generated from its resume schema.
    const waiting = await client.threads.create();
    await client.runs.wait(waiting.thread_id, "refund", { input: { amount: 75 } });
    const suspendedRun = (await client.runs.list(waiting.thread_id))[0];
    const suspendedId = (suspendedRun?.metadata as { blockwork_run_id: string }).blockwork_run_id;
    await page.goto(`${server.url}/ui#/run/${suspendedId}`);
    await page.waitForSelector("[data-testid='resume-approve#1']");
    await page.waitForSelector("[data-testid=run-status]:text('suspended')");
    await page.screenshot({ path: join(ARTIFACTS, "run-suspended.png"), fullPage: true });
    // An empty reason is refused with the contract's issue, shown in the form. (Chromium logs the
    // refused request, a 422, as a console error: that one is expected, and the only one allowed.)
    expect(problems).toEqual([]);
    await page.click("[data-testid='resume-approve#1'] button[type=submit]");
    await page.waitForSelector("[data-testid=resume-issues]:has-text('reason')");
    expect(problems).toEqual(["console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]);
    problems.length = 0;
    await page.check("[data-testid='resume-approve#1'] input[name=approved]");
    await page.fill("[data-testid='resume-approve#1'] input[name=reason]", "approved in the browser");
    await page.click("[data-testid='resume-approve#1'] button[type=submit]");
    await page.waitForSelector("[data-testid=run-status]:text('completed')");
    expect(await page.locator("[data-testid=outcome]").textContent()).toContain('"refunded": 75');
    const state = await client.threads.getState(waiting.thread_id);
    expect((state.values as { output?: unknown }).output).toEqual({ refunded: 75 });
    await page.screenshot({ path: join(ARTIFACTS, "run-resumed.png"), fullPage: true });

    // The runs list filters by status.
    await page.selectOption("[data-testid=status-filter]", "completed");
    await page.waitForFunction('[...document.querySelectorAll("[data-testid=runs] .status")].every((s) => s.textContent === "completed") && document.querySelectorAll("[data-testid=runs] .status").length === 3');

    expect(problems).toEqual([]);
  }, 120_000);
});
