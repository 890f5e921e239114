// Figures (an item's rate or count): a typo is refused beside its box and never clears the stored figure;
// only an empty box does. Full-width digits from a Chinese keyboard are read. A rate is entered as its two
// counts and computed; a numerator above the denominator is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, phone, login, synced, openArea } from "./harness.mjs";

const env = serverAndBrowser();

test("a typo in a figure is refused and the stored figure stays", async () => {
  const { server, browser } = env;
  const page = await (await phone(browser)).newPage();
  await login(page, server, "chengguan-head");
  // The first area with a figure box (a count; rates have two boxes, tested below).
  const share = "article.item:has(input[name=figure])";
  let area = null;
  for (const a of ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"]) {
    await openArea(page, server, "chengguan", a);
    if ((await page.locator(share).count()) > 0) { area = a; break; }
  }
  assert.ok(area, "some area asks for a count");
  // The documents are loaded and synced before typing (a render on load would reset a half-typed box).
  await synced(page);
  const item = await page.locator(share).first().getAttribute("data-item");
  const box = page.locator(`article[data-item="${item}"] input[name=figure]`);
  await box.fill("８５");
  await box.press("Tab");
  await page.waitForFunction((id) => document.querySelector(`article[data-item="${id}"] input[name=figure]`)?.value === "85", item);
  await box.fill("8o");
  await box.press("Tab");
  await page.waitForSelector(`article[data-item="${item}"] .figure-error`);
  await synced(page);
  // The stored figure survived the typo.
  await page.reload();
  await page.waitForSelector(`article[data-item="${item}"] input[name=figure]`);
  await synced(page);
  assert.equal(await page.locator(`article[data-item="${item}"] input[name=figure]`).inputValue(), "85");
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
  // The server's acknowledgement re-renders the page: let it land before typing again.
  await synced(page);
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

test("a rate is entered as its two counts and computed; a numerator above the denominator is refused", async () => {
  const { server, browser } = env;
  const page = await (await phone(browser)).newPage();
  await login(page, server, "liuhe-head");
  await openArea(page, server, "liuhe", "T5");
  await synced(page);
  const card = 'article[data-item="T5.01"]';
  // The template names what is counted: 合格处方数 over 抽查处方数.
  assert.match(await page.textContent(`${card} fieldset.rate`), /合格处方数[\s\S]*抽查处方数/);
  // Whatever the demo stored: empty the numerator first (only an empty box clears), then give both.
  await page.fill(`${card} input[name=numerator]`, "");
  await page.press(`${card} input[name=numerator]`, "Tab");
  await page.waitForFunction((sel) => !document.querySelector(sel).dataset.rate, `${card} fieldset.rate`);
  // Each box waits for the server's acknowledgement of the one before: a re-render in between races typing.
  await synced(page);
  await page.fill(`${card} input[name=denominator]`, "６０");
  await page.press(`${card} input[name=denominator]`, "Tab");
  await synced(page);
  await page.fill(`${card} input[name=numerator]`, "55");
  await page.press(`${card} input[name=numerator]`, "Tab");
  await page.waitForSelector(`${card} fieldset.rate[data-rate="91.7"]`);
  assert.match(await page.textContent(`${card} .rate-value`), /91\.7%/);
  await page.fill(`${card} input[name=numerator]`, "61");
  await page.press(`${card} input[name=numerator]`, "Tab");
  await page.waitForSelector(`${card} .figure-error:has-text("分子不能大于分母")`);
  await synced(page);
  await page.reload();
  await page.waitForSelector(`${card} fieldset.rate[data-rate="91.7"]`);
  assert.equal(await page.inputValue(`${card} input[name=numerator]`), "55");
  // The printed table writes the counts beside the status.
  await page.goto(`${server.url}/f/liuhe/print`);
  await page.waitForSelector('tr[data-item="T5.01"] .figure');
  assert.match(await page.textContent('tr[data-item="T5.01"] .figure'), /55\/60 = 91\.7%/);
});
