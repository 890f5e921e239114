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
  // The first area with a figure to give.
  let area = null;
  for (const a of ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"]) {
    await openArea(page, server, "chengguan", a);
    if ((await page.locator(".metric input[name=figure]").count()) > 0) { area = a; break; }
  }
  assert.ok(area, "some area asks for a figure");
  // The documents are loaded and synced before typing (a render on load would reset a half-typed box).
  await synced(page);
  const box = page.locator(".metric input[name=figure]").first();
  const item = await page.locator("article.item:has(.metric)").first().getAttribute("data-item");
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
