// The clinic app's pages at phone width: the problem list, submission and the read-only review, the
// refusal of another facility's inspection, the language switch; writes the README's screenshots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { PASSWORD, serverAndBrowser, phone, login, openArea, screenshotDir, setStatus, statusOf, synced } from "./harness.mjs";

const env = serverAndBrowser();

test("a user of one facility cannot open another facility's inspection: the server refuses, the UI says so", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  await login(page, server, "wangzhuang-head");
  await page.goto(`${server.url}/f/lijia`);
  await page.waitForSelector(".banner.refused", { timeout: 30_000 });
  assert.match(await page.textContent(".banner.refused"), /无权查看/);
  assert.equal(await page.$$eval(".areas .area", (l) => l.length), 0, "no checklist is shown");
  await page.goto(`${server.url}/f/lijia/area/T1`);
  await page.waitForSelector(".banner.refused");
  assert.equal(await page.$$eval("article.item", (l) => l.length), 0);
  // The API refuses the other facility's staff list too.
  const status = await page.evaluate(async () => {
    const { token } = JSON.parse(localStorage["zhigai.session"]);
    return (await fetch("/api/facilities/lijia/staff", { headers: { authorization: `Bearer ${token}` } })).status;
  });
  assert.equal(status, 404);
  await page.click(".button:has-text('返回本机构')");
  await page.waitForSelector(".areas .area");
  await ctx.close();
});

test("problems: recorded from a non-compliant item with owner and deadline, moved on, filtered; screenshots", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  const shots = screenshotDir();
  await login(page, server, "chengguan-head");
  await page.screenshot({ path: join(shots, "home-360.png") });

  await openArea(page, server, "chengguan", "T3");
  await setStatus(page, "T3.02", "non_compliant");
  await page.click('article[data-item="T3.02"] a:has-text("登记问题")');
  await page.waitForSelector(".problem-form");
  assert.equal(await page.$eval(".problem-form select[name=item]", (s) => s.value), "T3.02", "the form starts linked to the item");
  await page.fill(".problem-form textarea[name=description]", "处方点评未按月开展");
  await page.fill(".problem-form textarea[name=measure]", "指定专人每月点评并公示");
  const owner = await page.$eval(".problem-form select[name=owner] option:nth-child(2)", (o) => o.value);
  await page.selectOption(".problem-form select[name=owner]", owner);
  await page.fill(".problem-form input[name=deadline]", "2026-11-20");
  await page.click('.problem-form button[type=submit]');
  // The new card, found by its description (a textarea's value).
  const id = await (await page.waitForFunction(
    (text) => [...document.querySelectorAll("li.problem")].find((li) => li.querySelector("textarea").value === text)?.dataset.problem,
    "处方点评未按月开展",
  )).jsonValue();
  const card = `li.problem[data-problem="${id}"]`;
  await page.waitForSelector(`${card}.overdue`);
  assert.match(await page.textContent(card), /已逾期 \d+ 天/);

  // An empty description is refused with a message, nothing recorded.
  await page.click("button.chip");
  const before = await page.$$eval("li.problem", (l) => l.length);
  await page.click("button.add-problem");
  await page.fill(".problem-form textarea[name=description]", "   ");
  await page.click('.problem-form button[type=submit]');
  await page.waitForSelector('.problem-form .banner.error:has-text("请填写问题描述")');
  assert.equal(await page.$$eval("li.problem", (l) => l.length), before, "nothing was recorded");
  await page.click('.problem-form button:has-text("取消")');

  // 待整改 → 整改中; the status filter follows.
  await page.click(`${card} button.status[data-status="in_progress"]`);
  await page.waitForSelector(`${card}[data-status="in_progress"]`);
  await page.selectOption(".filters label:nth-child(3) select", "in_progress");
  const shown = await page.$$eval("li.problem", (l) => l.map((e) => e.dataset.status));
  assert.ok(shown.length >= 1 && shown.every((s) => s === "in_progress"), `only 整改中: ${shown}`);
  await page.selectOption(".filters label:nth-child(3) select", "");
  await page.selectOption(".filters label:nth-child(1) select", "T3");
  assert.ok((await page.$$eval("li.problem", (l) => l.length)) >= 1);
  await page.selectOption(".filters label:nth-child(1) select", "");
  await synced(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, "problems-360.png") });

  await openArea(page, server, "chengguan", "T3");
  await page.click('article[data-item="T3.02"] details.history summary');
  await page.waitForSelector('article[data-item="T3.02"] .history-list li');
  assert.match(await page.textContent('article[data-item="T3.02"] .history-list'), /设置状态/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, "area-360.png") });
  await ctx.close();
});

test("a returned inspection shows the reviewer's comments beside the items; the head resubmits; members cannot", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  await login(page, server, "dongguan-member");
  assert.match(await page.textContent(".review-card"), /退回修改/);
  assert.match(await page.textContent(".review-card"), /请补充会议纪要和签到表照片/);
  assert.equal(await page.$$eval("button.submit", (l) => l.length), 0, "members do not submit");
  await page.click('.area[data-area="T1"] a');
  await page.waitForSelector("article.item.commented .review-comment");
  assert.match(await page.textContent("article.item.commented .review-comment"), /会议纪要/);
  await ctx.close();

  const head = await (await phone(browser)).newPage();
  head.on("dialog", (d) => d.accept());
  await login(head, server, "dongguan-head");
  await head.click("button.submit:has-text('重新提交')");
  await head.waitForSelector('.submission[data-state="submitted"]');
  await synced(head);
  await head.click('.area[data-area="T1"] a');
  await head.waitForSelector("article.item");
  assert.ok(await head.$eval("article.item button.status", (b) => b.disabled), "read-only after resubmitting");
  assert.match(await head.textContent(".banner.info"), /已提交审核/);
});

test("English is one tap away and the checklist text follows", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  await login(page, server, "liuhe-member");
  await page.click("button.lang:has-text('English')");
  await page.waitForSelector(".tabs a:has-text('Problems')");
  assert.match(await page.textContent(".sync"), /Synced/);
  await page.click('.area[data-area="T5"] a');
  await page.waitForSelector("article.item");
  const title = await page.textContent("article.item .item-title");
  assert.ok(!/[\u4e00-\u9fff]{4}/.test(title), `the item reads in English: ${title}`);
  await page.reload();
  await page.waitForSelector(".tabs a:has-text('Problems')");
  await ctx.close();
});

test("a revoked session says so and keeps the edits made meanwhile; logging in again syncs them", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  await login(page, server, "shiqiao-member");
  await openArea(page, server, "shiqiao", "T2");
  // The tablet is lost: the county revokes every session of the user while the device is offline.
  await ctx.setOffline(true);
  await page.waitForSelector('.sync[data-net="offline"]');
  const item = await page.getAttribute("article.item >> nth=0", "data-item");
  await setStatus(page, item, "not_applicable");
  const api = await server.token("shiqiao-member");
  const auth = { authorization: `Bearer ${api}` };
  const me = await (await fetch(`${server.url}/api/me`, { headers: auth })).json();
  const sessions = await (await fetch(`${server.url}/api/sessions`, { headers: auth })).json();
  // Every session but this one first (revoking this one ends the API access).
  const ordered = [...sessions.filter((s) => s.id !== me.session_id), ...sessions.filter((s) => s.id === me.session_id)];
  assert.ok(ordered.length >= 2);
  for (const s of ordered) {
    const r = await fetch(`${server.url}/api/sessions/${s.id}`, { method: "DELETE", headers: auth });
    assert.equal(r.status, 204);
  }
  await ctx.setOffline(false);
  await page.waitForSelector(".banner.warn:has-text('登录已过期')", { timeout: 60_000 });
  assert.equal(await statusOf(page, item), "not_applicable", "the edit is still on screen");

  await page.click(".banner.warn button:has-text('重新登录')");
  await page.fill("input[name=username]", "shiqiao-member");
  await page.fill("input[name=password]", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("article.item");
  await synced(page);
  assert.equal(await statusOf(page, item), "not_applicable");
  const other = await (await phone(browser)).newPage();
  await login(other, server, "shiqiao-head");
  await openArea(other, server, "shiqiao", "T2");
  await synced(other);
  assert.equal(await statusOf(other, item), "not_applicable", "the edit reached the server");
  await ctx.close();
});
