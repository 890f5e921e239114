// Across New Year: a head records a problem on 2026-12-30, goes offline, the date moves to 2027-01-02; the
// app opens 2027 with 2026's open problems carried over (上年遗留); an offline edit to the carried problem
// syncs into the one 2026 problem after reconnecting (a colleague sees it once); 2026 stays one tap away.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Server, launch, phone, login, shellCached, synced } from "./harness.mjs";

const FACILITY = "wangzhuang";
const DESCRIPTION = "跨年测试：急救药品效期登记缺失";
const MEASURE = "建立效期登记表，每月核对";
const server = new Server({ today: "2026-12-30" });
let browser;

after(async () => {
  await browser?.close();
  await server.stop();
});

/** The id of the problem card whose description is `text`, once it shows. */
async function problemWith(page, text) {
  const handle = await page.waitForFunction((text) => {
    const card = [...document.querySelectorAll("li.problem")].find(
      (li) => li.querySelector("textarea")?.value === text,
    );
    return card?.dataset.problem ?? null;
  }, text);
  return handle.jsonValue();
}

test("2027 opens with 2026's open problems carried over; an offline edit lands in the one problem", async () => {
  await server.start();
  browser = await launch();
  const ctx = await phone(browser);
  await ctx.clock.setFixedTime(new Date("2026-12-30T10:00:00+08:00"));
  const page = await ctx.newPage();
  await login(page, server, `${FACILITY}-head`);
  await shellCached(page);
  assert.equal(await page.$eval("select.year-switch", (s) => s.value), "2026");

  // December 2026: a problem recorded.
  await page.click(".tabs a.tab >> nth=1");
  await page.click("button.add-problem");
  await page.fill("form.problem-form textarea[name=description]", DESCRIPTION);
  await page.click("form.problem-form button[type=submit]");
  const id = await problemWith(page, DESCRIPTION);
  await synced(page);

  // Offline over New Year; the app reloads on 2027-01-02 (the service worker serves it).
  await ctx.setOffline(true);
  await ctx.clock.setFixedTime(new Date("2027-01-02T09:00:00+08:00"));
  await page.reload();
  await page.waitForSelector("select.year-switch");
  assert.equal(await page.$eval("select.year-switch", (s) => s.value), "2027", "this year first");
  await page.click(".tabs a.tab >> nth=1");
  const card = `li.problem[data-problem="${id}"]`;
  await page.waitForSelector(`${card}.carried-over`);
  assert.equal(await page.getAttribute(`${card} .carried`, "data-origin"), "2026");

  // The carried problem is updated offline.
  await page.fill(`${card} textarea >> nth=1`, MEASURE);
  await page.locator(`${card} textarea >> nth=1`).blur();
  await page.waitForSelector('.sync[data-net="offline"]:not([data-unsynced="0"])');

  // Back online, the server now in 2027 too: the edit reaches it.
  await server.stop();
  server.today = "2027-01-02";
  await server.start();
  await ctx.setOffline(false);
  await synced(page);

  // A colleague's fresh device in 2027 sees the problem once, carried, with the measure.
  const other = await phone(browser);
  await other.clock.setFixedTime(new Date("2027-01-02T11:00:00+08:00"));
  const colleague = await other.newPage();
  await login(colleague, server, `${FACILITY}-member`);
  await colleague.click(".tabs a.tab >> nth=1");
  await colleague.waitForFunction(
    ({ card, measure }) => document.querySelector(card)?.querySelectorAll("textarea")[1]?.value === measure,
    { card, measure: MEASURE },
    { timeout: 60_000 },
  );
  assert.equal(await colleague.locator(card).count(), 1, "one problem, never doubled");
  assert.ok(await colleague.$(`${card}.carried-over`));
  // 2027 was settled in December on 示范省's version (published for 2027): both devices answer its own item
  // and its targets, on the one document the offline device started.
  for (const p of [page, colleague]) {
    await p.goto(`${server.url}/f/${FACILITY}/area/T8`);
    await p.waitForSelector('article[data-item="T8.SF01"]');
    await synced(p);
  }
  assert.equal(await colleague.locator(".banner.error").count(), 0, "no refusal");
  await page.goto(`${server.url}/f/${FACILITY}/problems`);
  await page.waitForSelector(card);

  // 2026 is one tap away: there the problem is the year's own, with the same measure.
  await page.selectOption("select.year-switch", "2026");
  await page.waitForFunction(() => document.querySelector("select.year-switch")?.value === "2026");
  await page.waitForSelector(`${card}:not(.carried-over)`);
  assert.equal(await page.locator(`${card} textarea >> nth=1`).inputValue(), MEASURE);

  // 2027's annual summary counts the carried problem.
  await page.goto(`${server.url}/f/${FACILITY}/annual`);
  await page.waitForSelector(".annual-page .annual-areas tr[data-area]");
  assert.equal(await page.locator(".annual-page .annual-areas tr[data-area]").count(), 9);
  await page.waitForSelector('[data-carried]:not([data-carried="0"])');
});
