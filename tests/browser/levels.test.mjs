// The levels end to end, in the demo's two-step county: a village clinic submits; its medical community's
// reviewer returns it with a reason (初审); the clinic fixes and resubmits; the community passes it on; the
// county approves — the clinic sees each step live and the review record keeps both. The city's QC centre
// finds the clinic through its county in the city overview and in the common problems; the township head
// sees the clinic it guides, read-only, with guidance comments only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { serverAndBrowser, PASSWORD, phone, login, inReviewApp, openLogin, synced, screenshotDir } from "./harness.mjs";

const env = serverAndBrowser();
const CLINIC = "wangzhuang";

async function desktopLogin(browser, server, username) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  page.on("dialog", (d) => d.accept());
  await openLogin(page, server);
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", PASSWORD);
  await page.click("button[type=submit]");
  await inReviewApp(page);
  return { ctx, page };
}

test("two-step review: the community returns and passes on, the county approves, the clinic sees each step", async () => {
  const { server, browser } = env;
  const clinic = await (await phone(browser)).newPage();
  clinic.on("dialog", (d) => d.accept());
  await login(clinic, server, `${CLINIC}-head`);
  await clinic.click("button.submit");
  await clinic.waitForSelector('.submission[data-state="submitted"]');
  await synced(clinic);

  // The medical community's reviewer: its overview lists its seven members only.
  const first = await desktopLogin(browser, server, "gc-east-reviewer");
  await first.page.waitForSelector(`.overview-table tr[data-facility="${CLINIC}"]`);
  assert.equal(await first.page.locator(".overview-table tr[data-facility]").count(), 7);
  await first.page.click(`tr[data-facility="${CLINIC}"] a`);
  await first.page.waitForSelector('.review-panel[data-step="first"]');
  assert.equal(await first.page.locator(".review-panel button.approve").count(), 0, "the first step cannot approve");
  await first.page.fill(".review-panel textarea[name=reason]", "T1.04 缺少村卫生室工作制度，请补充");
  await first.page.click(".review-panel button.return");
  await first.page.waitForSelector('.review-panel[data-review="returned"]');
  // …and records a finding from its check (核查): it goes to the clinic's problem list as the community's.
  await first.page.click(".tabs a.tab:has-text('问题清单')");
  await first.page.click("button.add-problem");
  await first.page.fill(".finding-form textarea[name=description]", "核查：村卫生室工作制度未上墙");
  await first.page.fill(".finding-form input[name=deadline]", "2026-12-31");
  await first.page.click(".finding-form button[type=submit]");
  await first.page.waitForSelector('.problem .finding-badge[data-level="community"]');
  await synced(first.page);

  // The clinic sees the first step's return live, with its reason, and may edit again.
  await clinic.waitForSelector(".review-state.returned", { timeout: 30_000 });
  assert.match(await clinic.textContent(".review-card"), /缺少村卫生室工作制度/);
  await clinic.waitForSelector('.review-record li[data-step="first"][data-state="returned"]');
  // The finding is in the clinic's list, marked as the community's: its text is the reviewer's, its
  // rectification the clinic's.
  await clinic.click(".tabs a.tab:has-text('问题清单')");
  const finding = '.problem:has(.finding-badge[data-level="community"])';
  await clinic.waitForSelector(finding, { timeout: 30_000 });
  assert.ok(await clinic.$eval(`${finding} textarea >> nth=0`, (t) => t.disabled), "the finding's text is the reviewer's");
  await clinic.click(`${finding} button.status[data-status="rectified"]`);
  await clinic.waitForSelector('.problem[data-status="rectified"]:has(.finding-badge)');
  await clinic.click(".tabs a.tab:has-text('首页')");
  await clinic.click('.area[data-area="T1"] a');
  await clinic.click('article[data-item="T1.04"] button.status[data-status="compliant"]');
  await clinic.waitForSelector('article[data-item="T1.04"][data-status="compliant"]');
  await clinic.click(".tabs a.tab:has-text('首页')");
  await clinic.click("button.submit:has-text('重新提交')");
  await synced(clinic);

  // The community sees the fix and passes it on.
  await first.page.goto(`${server.url}/f/${CLINIC}/area/T1`);
  await first.page.waitForSelector('article[data-item="T1.04"][data-status="compliant"]', { timeout: 30_000 });
  await first.page.click(".tabs a.tab:has-text('首页')");
  await first.page.click(".review-panel button.pass-on");
  await first.page.waitForSelector('.review-panel[data-review="passed_on"]');
  await synced(first.page);
  await clinic.waitForSelector(".review-state.passed_on", { timeout: 30_000 });

  // The county approves.
  const county = await desktopLogin(browser, server, "reviewer");
  await county.page.waitForSelector(`.overview-table tr[data-facility="${CLINIC}"][data-review="passed_on"]`);
  await county.page.click(`tr[data-facility="${CLINIC}"] a`);
  await county.page.waitForSelector('.review-panel[data-step="final"]');
  await county.page.click(".review-panel button.approve");
  await county.page.waitForSelector('.review-panel[data-review="approved"]');
  await synced(county.page);

  // The clinic sees the approval live, and the record of both steps.
  await clinic.waitForSelector(".review-state.approved", { timeout: 30_000 });
  await clinic.waitForSelector('.review-record li[data-step="first"][data-state="passed_on"]');
  await clinic.waitForSelector('.review-record li[data-step="final"][data-state="approved"]');
  for (const s of [first, county]) await s.ctx.close();
});

test("the city's QC centre reaches the clinic through its county and the common problems; the province sees its cities", async () => {
  const { server, browser } = env;
  const city = await desktopLogin(browser, server, "city-reviewer");
  // Counties as rows: the rural county and the urban district.
  await city.page.waitForSelector('.county-rows tr[data-county="demo-county"]');
  await city.page.waitForSelector('.county-rows tr[data-county="demo-district"]');
  // Common problems: the clinic is behind one of them (its weak items are shared with others).
  await city.page.waitForSelector(".common-problems li[data-item]");
  const items = await city.page.locator(".common-problems li[data-item]").count();
  let found = false;
  for (let i = 0; i < items && !found; i++) {
    const item = city.page.locator(".common-problems li[data-item]").nth(i);
    await item.locator("button.common-item").click();
    await item.locator(".item-facilities li[data-facility]").first().waitFor();
    found = (await item.locator(`.item-facilities li[data-facility="${CLINIC}"]`).count()) > 0;
  }
  assert.ok(found, "the clinic is listed behind a common problem");
  // Indicators across the city's facilities: how many gave each, lowest, mean, highest.
  const spread = '.figure-spreads tr[data-item="T5.01"]';
  await city.page.waitForSelector(spread);
  const cells = await city.page.$$eval(`${spread} td`, (l) => l.map((td) => Number(td.textContent)));
  assert.ok(cells[0] >= 2 && cells[1] <= cells[2] && cells[2] <= cells[3], `n, min ≤ mean ≤ max: ${cells}`);
  await city.page.screenshot({ path: join(screenshotDir(), "city-overview.png"), fullPage: true });
  // Drill down to the county, then the clinic.
  await city.page.click('.county-rows tr[data-county="demo-county"] a');
  await city.page.waitForSelector(`.overview-table tr[data-facility="${CLINIC}"]`);
  await city.page.click(`tr[data-facility="${CLINIC}"] a`);
  // The city reads the clinic's inspection (fetched on demand) and may comment, not decide.
  await city.page.waitForSelector(".guidance-only", { timeout: 30_000 });
  assert.equal(await city.page.locator(".review-panel").count(), 0);
  await city.ctx.close();

  // The province: its city with its total, and the city's counties beneath.
  const province = await desktopLogin(browser, server, "province-viewer");
  await province.page.waitForSelector('.county-rows tr.city-row[data-city="demo-city"]');
  await province.page.waitForSelector('.county-rows tr[data-county="demo-district"]');
  await province.ctx.close();
});

test("the township head sees the clinic it guides, read-only, and may leave guidance", async () => {
  const { server, browser } = env;
  const head = await (await phone(browser)).newPage();
  await login(head, server, "liuhe-head");
  await head.waitForSelector(`.guided li[data-facility="${CLINIC}"]`);
  await head.click(`.guided li[data-facility="${CLINIC}"] a`);
  await head.waitForSelector(".guidance-only");
  await head.goto(`${server.url}/f/${CLINIC}/area/T1`);
  await head.waitForSelector('article[data-item="T1.04"] .comment-form');
  assert.ok(await head.$eval('article[data-item="T1.04"] button.status', (b) => b.disabled), "read-only");
  await head.fill('article[data-item="T1.04"] .comment-form input', "制度要上墙，按乡镇卫生院模板修改");
  await head.click('article[data-item="T1.04"] .comment-form button');
  await head.waitForSelector('article[data-item="T1.04"] .review-comment:has-text("制度要上墙")');
  await synced(head);
});
