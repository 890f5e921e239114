// Offline first: with the server stopped, 20 edits are made; the page is reloaded (the service worker serves
// the app, IndexedDB the documents) and shows all 20; the server restarts and the edits reach it and a
// colleague's screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, phone, login, openArea, shellCached, synced } from "./harness.mjs";

const FACILITY = "wangzhuang";
const STATUSES = ["compliant", "partial", "non_compliant", "not_applicable"];
const env = serverAndBrowser();

async function answeredCount(page) {
  return Number(await page.getAttribute(".progress-total", "data-answered"));
}

test("20 edits made with the server down survive a reload and reach the server and a colleague", async () => {
  const { server, browser } = env;
  const [ctxA, ctxB] = [await phone(browser), await phone(browser)];
  const [a, b] = [await ctxA.newPage(), await ctxB.newPage()];
  await login(a, server, `${FACILITY}-head`);
  await login(b, server, `${FACILITY}-member`);
  await shellCached(a);
  const token = await server.token("reviewer");
  const county = async () => {
    const r = await fetch(`${server.url}/api/counties/demo-county/summary?year=2026`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    return (await r.json()).facilities.find((f) => f.facility_id === FACILITY);
  };
  const before = await county();

  await server.stop();
  await a.waitForSelector('.sync[data-net="offline"]', { timeout: 30_000 });

  // 20 edits across the areas: each sets an item to a status it does not have yet.
  const expected = new Map();
  for (const area of ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"]) {
    if (expected.size === 20) break;
    await a.click(`.tabs a.tab >> nth=0`);
    await a.click(`.area[data-area="${area}"] a`);
    await a.waitForSelector(`.area-page[data-area="${area}"]`);
    for (const article of await a.$$("article.item")) {
      if (expected.size === 20) break;
      const item = await article.getAttribute("data-item");
      const now = await article.getAttribute("data-status");
      const status = STATUSES[(STATUSES.indexOf(now) + 1) % 4];
      await article.$(`button.status[data-status="${status}"]`).then((btn) => btn.click());
      await a.waitForSelector(`article[data-item="${item}"][data-status="${status}"]`);
      expected.set(item, status);
    }
  }
  assert.equal(expected.size, 20);
  await a.waitForSelector('.sync[data-pending="0"]');
  const unsynced = Number(await a.getAttribute(".sync", "data-unsynced"));
  assert.ok(unsynced >= 20, `the badge counts the unsynced changes (${unsynced})`);
  assert.match(await a.textContent(".sync"), /离线/);

  // Reload with no server: the app and all 20 edits are there.
  assert.match(a.url(), /\/area\/T\d$/);
  await a.reload();
  await a.waitForSelector("article.item", { timeout: 30_000 });
  assert.match(await a.textContent(".sync"), /离线/);
  for (const [item, status] of expected) {
    const area = item.split(".")[0];
    await a.goto(`${server.url}/f/${FACILITY}/area/${area}`);
    await a.waitForSelector(`article[data-item="${item}"][data-status="${status}"]`, { timeout: 10_000 });
  }

  // The server comes back: the device syncs by itself, the server has the edits, the colleague sees them.
  await server.start();
  await synced(a, 60_000);
  const after = await county();
  assert.ok(after.answered >= before.answered, "the county summary counts the new answers");
  for (const [item, status] of expected) {
    const area = item.split(".")[0];
    if (!b.url().endsWith(`/area/${area}`)) await b.goto(`${server.url}/f/${FACILITY}/area/${area}`);
    await b.waitForSelector(`article[data-item="${item}"][data-status="${status}"]`, { timeout: 60_000 });
  }
  await ctxA.close();
  await ctxB.close();
});
