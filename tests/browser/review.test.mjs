// County review end to end: the facility submits; the reviewer comments on an item and returns the
// inspection; the facility sees the reason and the comment live, fixes the item and resubmits; the reviewer
// approves and verifies a rectified problem; the facility sees 已通过 and the verdict. The overview, the
// exports and the printable table are checked on the way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { serverAndBrowser, PASSWORD, phone, login, inReviewApp, openLogin, screenshotDir, synced } from "./harness.mjs";

const env = serverAndBrowser();
const FACILITY = "liuhe";

async function desktop(browser) {
  return browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", acceptDownloads: true });
}

test("return with a comment, fix, resubmit, approve: both sides see each step", async () => {
  const { server, browser } = env;
  const clinic = await (await phone(browser)).newPage();
  clinic.on("dialog", (d) => d.accept());
  await login(clinic, server, `${FACILITY}-head`);
  await clinic.click("button.submit");
  await clinic.waitForSelector('.submission[data-state="submitted"]');
  await synced(clinic);

  const reviewerCtx = await desktop(browser);
  const reviewer = await reviewerCtx.newPage();
  reviewer.on("dialog", (d) => d.accept());
  await openLogin(reviewer, server);
  await reviewer.fill("input[name=username]", "reviewer");
  await reviewer.fill("input[name=password]", PASSWORD);
  await reviewer.click("button[type=submit]");
  await inReviewApp(reviewer);
  // The overview lists the county's facilities; the submitted one shows as such.
  await reviewer.waitForSelector(`.overview-table tr[data-facility="${FACILITY}"]`);
  await reviewer.waitForSelector(".coverage svg .wave");
  assert.ok((await reviewer.$$(".overview-table tr[data-facility]")).length >= 14);
  await reviewer.waitForSelector(".overdue-row");
  await reviewer.screenshot({ path: join(screenshotDir(), "county-overview.png") });

  // An export downloads under its Chinese name.
  const [download] = await Promise.all([reviewer.waitForEvent("download"), reviewer.click("button.export-xlsx")]);
  assert.match(download.suggestedFilename(), /^清河县（示范）-\d{4}年-自查整改汇总\.xlsx$/);

  // The year's 年度评估 report: coverage against target, nine areas, common problems, rectification.
  await reviewer.click("a.annual-link");
  await reviewer.waitForSelector(".county-annual .annual-coverage tr[data-wave]");
  assert.equal(await reviewer.locator(".county-annual .annual-areas tr[data-area]").count(), 9);
  assert.ok((await reviewer.locator(".county-annual .common-items li").count()) > 0);
  await reviewer.goBack();
  await reviewer.waitForSelector(`.overview-table tr[data-facility="${FACILITY}"]`);

  // Drill down: comment on T1.01, then return with a reason.
  await reviewer.click(`tr[data-facility="${FACILITY}"] a`);
  await reviewer.waitForSelector(".review-panel");
  await reviewer.goto(`${server.url}/f/${FACILITY}/area/T1`);
  await reviewer.waitForSelector('article[data-item="T1.01"] .comment-form');
  assert.ok(await reviewer.$eval('article[data-item="T1.01"] button.status', (b) => b.disabled), "reviewers read only");
  await reviewer.fill('article[data-item="T1.01"] .comment-form input', "请补充质量管理组织文件");
  await reviewer.click('article[data-item="T1.01"] .comment-form button');
  await reviewer.waitForSelector('article[data-item="T1.01"] .review-comment:has-text("请补充质量管理组织文件")');
  await reviewer.click(".tabs a.tab:has-text('首页')");
  await reviewer.fill(".review-panel textarea[name=reason]", "T1.01 证据不足，请补充后重新提交");
  await reviewer.click(".review-panel button.return");
  await reviewer.waitForSelector('.review-panel[data-review="returned"]');
  await synced(reviewer);

  // The facility sees the return live, the reason, and the comment beside the item.
  await clinic.waitForSelector('.review-state.returned', { timeout: 30_000 });
  assert.match(await clinic.textContent(".review-card"), /T1\.01 证据不足/);
  await clinic.click('.area[data-area="T1"] a');
  await clinic.waitForSelector('article[data-item="T1.01"].commented .review-comment:has-text("请补充质量管理组织文件")');
  await clinic.click('article[data-item="T1.01"] button.status[data-status="partial"]');
  await clinic.waitForSelector('article[data-item="T1.01"][data-status="partial"]');
  await clinic.click(".tabs a.tab:has-text('首页')");
  await clinic.click("button.submit:has-text('重新提交')");
  await synced(clinic);

  // The reviewer sees the fix and approves; a rectified problem is verified.
  await reviewer.goto(`${server.url}/f/${FACILITY}/area/T1`);
  await reviewer.waitForSelector('article[data-item="T1.01"][data-status="partial"]', { timeout: 30_000 });
  await reviewer.click(".tabs a.tab:has-text('首页')");
  await reviewer.click(".review-panel button.approve");
  await reviewer.waitForSelector('.review-panel[data-review="approved"]');
  await reviewer.waitForSelector(".review-panel :text('审核通过后无修改')");
  await reviewer.click(".tabs a.tab:has-text('问题清单')");
  await reviewer.waitForSelector(".verify button");
  await reviewer.click(".verify button:has-text('核实通过') >> nth=0");
  await reviewer.waitForSelector(".verification.verified");
  await synced(reviewer);

  // The facility sees 已通过 live, read-only, and the verdict.
  await clinic.waitForSelector('.review-state.approved', { timeout: 30_000 });
  assert.match(await clinic.textContent(".review-card"), /已通过/);
  await clinic.click(".tabs a.tab:has-text('问题清单')");
  await clinic.waitForSelector(".verification.verified:has-text('已核实')", { timeout: 30_000 });

  // The overview follows.
  await reviewer.goto(`${server.url}/county`);
  await reviewer.waitForSelector(`.overview-table tr[data-facility="${FACILITY}"][data-review="approved"]`);

  // The printable table lists the items with their results and a signature line.
  await clinic.goto(`${server.url}/f/${FACILITY}/print`);
  await clinic.waitForSelector('.print-table tr[data-item="T1.01"] .result:has-text("部分符合")');
  assert.match(await clinic.textContent(".signature"), /机构负责人（签字）/);
  await reviewerCtx.close();
});

test("two reviewers deciding differently at once both see the conflict and one tap settles it", async () => {
  const { server, browser } = env;
  await server.admin("add-user", "--username", "reviewer2", "--name", "医共体钱审核", "--role", "reviewer",
    "--county", "demo-county", "--password", PASSWORD);
  const pages = [];
  for (const username of ["reviewer", "reviewer2"]) {
    const ctx = await desktop(browser);
    const page = await ctx.newPage();
    page.on("dialog", (d) => d.accept());
    await openLogin(page, server);
    await page.fill("input[name=username]", username);
    await page.fill("input[name=password]", PASSWORD);
    await page.click("button[type=submit]");
    await inReviewApp(page);
    await page.waitForSelector(".overview-table tr[data-facility]");
    await page.goto(`${server.url}/f/chengguan`);
    await page.waitForSelector(".review-panel");
    await synced(page);
    pages.push({ ctx, page });
  }
  const [one, two] = pages;
  await two.ctx.setOffline(true);
  await two.page.waitForSelector('.sync[data-net="offline"]');
  await two.page.fill(".review-panel textarea[name=reason]", "请补充培训签到表");
  await two.page.click(".review-panel button.return");
  await one.page.click(".review-panel button.approve");
  await one.page.waitForSelector('.review-panel[data-review="approved"]');
  await synced(one.page);
  await two.ctx.setOffline(false);
  for (const { page } of pages) {
    await page.waitForSelector(".review-conflict", { timeout: 60_000 });
    const text = await page.textContent(".review-conflict");
    assert.match(text, /已通过/);
    assert.match(text, /退回修改/);
  }
  await one.page.click('.review-conflict button.keep:has-text("退回修改")');
  for (const { page } of pages) {
    await page.waitForSelector(".review-conflict", { state: "detached", timeout: 60_000 });
    await page.waitForSelector('.review-panel[data-review="returned"]');
  }
  for (const { ctx } of pages) await ctx.close();
});
