// Checklist versions, read-only: a clinic finds its province's refined checklist and sees what differs
// from the national baseline: the item added, the items refined with their targets, the item retired.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, phone, login } from "./harness.mjs";

const env = serverAndBrowser();

test("a clinic reads its province's checklist version and what it changes from the national one", async () => {
  const { server, browser } = env;
  const page = await (await phone(browser)).newPage();
  await login(page, server, "wangzhuang-head");
  await page.click(".templates-link");
  await page.waitForSelector('.template-list li[data-template="demo-province@1"]');
  const listed = await page.$$eval(".template-list li", (l) => l.map((e) => e.dataset.template));
  assert.deepEqual(listed, ["national-2026@1", "national-2026@2", "demo-province@1"]);
  await page.click('.template-list li[data-template="demo-province@1"] a');
  await page.waitForSelector(".template-changes");
  const changes = await page.$eval(".template-changes", (p) => ({ ...p.dataset }));
  assert.deepEqual(changes, { added: "1", refined: "4", retired: "1" });
  assert.match(await page.textContent('li[data-item="T8.SF01"][data-change="added"]'), /省平台/);
  const refined = await page.textContent('li[data-item="T5.01"][data-change="refined"]');
  assert.match(refined, /目标/);
  assert.match(refined, /95%/);
  assert.equal(await page.locator('li[data-item="T5.04"][data-change="same"]').count(), 1);
  assert.match(await page.textContent(".template-retired"), /T3\.13/);
  // The national baseline has no parent and nothing marked.
  await page.click("a.back");
  await page.click('.template-list li[data-template="national-2026@2"] a');
  await page.waitForSelector('.template-area[data-area="T9"]');
  assert.equal(await page.locator(".template-changes").count(), 0);
  assert.equal(await page.locator('li[data-change="added"], li[data-change="refined"]').count(), 0);
});
