// Two staff of one facility edit the same checklist in two browsers: different items and the same item
// concurrently. Both screens converge; the conflict banner appears on both; one tap on one clears both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, phone, login, openArea, setStatus, statusOf, synced } from "./harness.mjs";

const FACILITY = "wangzhuang";
const env = serverAndBrowser();

test("two staff editing one checklist converge, see the conflict and settle it once for both", async () => {
  const { server, browser } = env;
  const [ctxA, ctxB] = [await phone(browser), await phone(browser)];
  const [a, b] = [await ctxA.newPage(), await ctxB.newPage()];
  await login(a, server, `${FACILITY}-head`);
  await login(b, server, `${FACILITY}-member`);
  await openArea(a, server, FACILITY, "T8");
  await openArea(b, server, FACILITY, "T8");

  // Different items at the same time: each screen shows the other's edit live, without a reload.
  await Promise.all([setStatus(a, "T8.01", "partial"), setStatus(b, "T8.03", "non_compliant")]);
  for (const page of [a, b]) {
    await page.waitForSelector('article[data-item="T8.01"][data-status="partial"]');
    await page.waitForSelector('article[data-item="T8.03"][data-status="non_compliant"]');
  }

  // A note typed on one screen appears on the other.
  await a.fill('article[data-item="T8.07"] textarea', "医废交接已登记");
  await b.waitForFunction(() => document.querySelector('article[data-item="T8.07"] textarea').value === "医废交接已登记");

  // Two people typing in one note: B's text arrives while A's caret sits mid-word, and A's next keystroke
  // lands where A left the caret.
  const note = 'article[data-item="T8.08"] textarea';
  const value = (page) => page.$eval(note, (t) => t.value);
  await a.click(note);
  await a.keyboard.type("甲乙");
  await a.keyboard.press("ArrowLeft");
  await b.waitForFunction((sel) => document.querySelector(sel).value === "甲乙", note);
  await b.click(note);
  await b.keyboard.press("Home");
  await b.keyboard.type("前");
  await a.waitForFunction((sel) => document.querySelector(sel).value === "前甲乙", note);
  await a.keyboard.type("中");
  for (const page of [a, b]) {
    await page.waitForFunction((sel) => document.querySelector(sel).value === "前甲中乙", note);
  }
  assert.equal(await value(a), await value(b));

  // The same item concurrently: B is offline while both set T8.02 to different values.
  await ctxB.setOffline(true);
  await b.waitForSelector('.sync[data-net="offline"]');
  await setStatus(b, "T8.02", "non_compliant");
  await setStatus(a, "T8.02", "compliant");
  await synced(a);
  assert.equal(await statusOf(b, "T8.02"), "non_compliant", "B has not seen A's value while offline");
  await ctxB.setOffline(false);

  // Both screens converge on one value and show the conflict with both values and who wrote them.
  for (const page of [a, b]) {
    await page.waitForSelector('.banner.conflict[data-conflicts="1"]', { timeout: 60_000 });
    await page.waitForSelector('article[data-item="T8.02"].conflicted');
    const text = await page.textContent(".banner.conflict");
    assert.match(text, /符合/);
    assert.match(text, /不符合/);
  }
  await synced(a);
  await synced(b);
  assert.equal(await statusOf(a, "T8.02"), await statusOf(b, "T8.02"), "both screens show the same value");

  // Resolving on B (keep 不符合) clears the banner on both screens and both show the kept value.
  await b.click('.banner.conflict button.keep:has-text("不符合")');
  for (const page of [a, b]) {
    await page.waitForSelector(".banner.conflict", { state: "detached", timeout: 60_000 });
    await page.waitForSelector('article[data-item="T8.02"][data-status="non_compliant"]:not(.conflicted)');
  }

  // The item's history names both colleagues.
  await a.click('article[data-item="T8.02"] details.history summary');
  await a.waitForSelector('article[data-item="T8.02"] .history-list li');
  const history = await a.textContent('article[data-item="T8.02"] .history-list');
  const names = await Promise.all([a, b].map((p) => p.evaluate(() => JSON.parse(localStorage["zhigai.session"]).user.display_name)));
  for (const name of names) assert.ok(history.includes(name), `history names ${name}: ${history}`);
  await ctxA.close();
  await ctxB.close();
});
