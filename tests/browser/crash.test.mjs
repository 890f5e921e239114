// The app never leaves a white screen: when the wasm stops on a trap (a Rust panic ends in one; release builds
// abort at once, without a panic hook), crash.js replaces the page with a bilingual notice to reload, and a
// reload brings the app back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverAndBrowser, phone, openLogin } from "./harness.mjs";

const env = serverAndBrowser();

test("a trap in the app's wasm shows the notice to reload, and reloading brings the app back", async () => {
  const ctx = await phone(env.browser);
  const page = await ctx.newPage();
  const logged = [];
  page.on("console", (m) => logged.push(m.text()));
  await openLogin(page, env.server);
  // A real panic in the app (debug builds export this for tests), from a timer as a tap or a sync task would
  // meet it: the panic hook logs it, the wasm aborts with a trap.
  await page.evaluate(() => setTimeout(() => window.wasmBindings.zhigai_test_panic()));
  await page.waitForSelector("#crash[role=alert]");
  const text = await page.textContent("#crash");
  assert.match(text, /质改出错了。您的修改已保存在本机，请刷新页面后继续。/);
  assert.match(text, /reload the page to continue/);
  assert.equal(await page.locator("main.login").count(), 0, "the dead app's page is gone");
  assert.ok(logged.some((t) => t.includes("a panic asked for by a test")), "the panic's message is in the console");
  await page.click("#crash button");
  await page.waitForSelector("body:not(:has(#boot)) main.login input[name=username]", { timeout: 120_000 });
  await ctx.close();
});

test("other page errors are not mistaken for a crash", async () => {
  const ctx = await phone(env.browser);
  const page = await ctx.newPage();
  await openLogin(page, env.server);
  await page.evaluate(() => {
    setTimeout(() => { throw new TypeError("an extension's bug"); });
    Promise.reject(new Error("a rejected fetch nobody awaited"));
  });
  await page.waitForTimeout(300);
  assert.equal(await page.locator("#crash").count(), 0);
  assert.equal(await page.locator("main.login input[name=username]").count(), 1);
  await ctx.close();
});
