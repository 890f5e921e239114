// A figure box (an item's rate or count): a typo is refused beside it and never clears the stored figure;
// only an empty box does. Full-width digits from a Chinese keyboard are read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, phone, login, synced, openArea } from "./harness.mjs";

const env = serverAndBrowser();

test("a typo in a figure is refused and the stored figure stays", async () => {
  const { server, browser } = env;
  const page = await (await phone(browser)).newPage();
  await login(page, server, "chengguan-head");
  // The first area with a share (%) to give.
  const share = 'article.item:has(.metric:has-text("（%）"))';
  let area = null;
  for (const a of ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"]) {
    await openArea(page, server, "chengguan", a);
    if ((await page.locator(share).count()) > 0) { area = a; break; }
  }
  assert.ok(area, "some area asks for a share");
  // The documents are loaded and synced before typing (a render on load would reset a half-typed box).
  await synced(page);
  const item = await page.locator(share).first().getAttribute("data-item");
  const box = page.locator(`article[data-item="${item}"] input[name=figure]`);
  await box.fill("８５．５");
  await box.press("Tab");
  await page.waitForFunction((id) => document.querySelector(`article[data-item="${id}"] input[name=figure]`)?.value === "85.5", item);
  await box.fill("8o");
  await box.press("Tab");
  await page.waitForSelector(`article[data-item="${item}"] .figure-error`);
  await synced(page);
  // The stored figure survived the typo.
  await page.reload();
  await page.waitForSelector(`article[data-item="${item}"] input[name=figure]`);
  await synced(page);
  assert.equal(await page.locator(`article[data-item="${item}"] input[name=figure]`).inputValue(), "85.5");
  // Emptying the box clears it.
  await page.locator(`article[data-item="${item}"] input[name=figure]`).fill("");
  await page.locator(`article[data-item="${item}"] input[name=figure]`).press("Tab");
  await page.waitForFunction((id) => document.querySelector(`article[data-item="${id}"] input[name=figure]`)?.value === "", item);
  await synced(page);
  await page.reload();
  await page.waitForSelector(`article[data-item="${item}"] input[name=figure]`);
  await synced(page);
  assert.equal(await page.locator(`article[data-item="${item}"] input[name=figure]`).inputValue(), "");
});

test("a count is a whole number: 2.5 meetings is refused and the box keeps what was stored", async () => {
  const { server, browser } = env;
  const page = await (await phone(browser)).newPage();
  await login(page, server, "liuhe-head");
  await openArea(page, server, "liuhe", "T1");
  await synced(page);
  // T1.06 asks how many quality meetings were held this year (次).
  const box = page.locator('article[data-item="T1.06"] input[name=figure]');
  assert.match(await page.textContent('article[data-item="T1.06"] .metric'), /次/);
  await box.fill("4");
  await box.press("Tab");
  await page.waitForFunction(() => document.querySelector('article[data-item="T1.06"] input[name=figure]')?.value === "4");
  await box.fill("2.5");
  await box.press("Tab");
  await page.waitForSelector('article[data-item="T1.06"] .figure-error:has-text("整数")');
  await synced(page);
  await page.reload();
  await page.waitForSelector('article[data-item="T1.06"] input[name=figure]');
  await synced(page);
  assert.equal(await box.inputValue(), "4");
});

test("a village clinic answers the short form and every item says how to judge it", async () => {
  const { server, browser } = env;
  const page = await (await phone(browser)).newPage();
  await login(page, server, "wangzhuang-head");
  await page.waitForSelector(".areas .area");
  const total = Number(await page.getAttribute(".progress-total", "data-applicable"));
  assert.ok(total >= 18 && total <= 28, `about twenty items, not ${total}`);
  // Task 九 does not apply to a clinic without wards: the area says so instead of 0/0.
  assert.match(await page.textContent('.area[data-area="T9"]'), /本机构不适用/);
  await openArea(page, server, "wangzhuang", "T1");
  // Only the clinic's own rules; the township's duties (专门部门, 专题会议) are not asked of it.
  assert.deepEqual(await page.$$eval("article.item", (l) => l.map((e) => e.dataset.item)), ["T1.04"]);
  await openArea(page, server, "wangzhuang", "T8");
  for (const article of await page.$$("article.item")) {
    const id = await article.getAttribute("data-item");
    await article.$("details.guidance summary").then((s) => s.click());
    const terms = await article.$$eval("dl.judge dt", (l) => l.map((e) => e.textContent));
    assert.deepEqual(terms, ["符合", "部分符合", "不符合"], id);
    const texts = await article.$$eval("dl.judge dd", (l) => l.map((e) => e.textContent.trim()));
    assert.ok(texts.every((t) => t.length >= 6), `${id}: ${texts}`);
  }
});
