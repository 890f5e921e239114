// The first visit on a slow network: the login form of index.html is usable before the app (wasm) arrives and
// what was typed there survives the app taking over; the clinic's first visit downloads the clinic app only,
// and a reviewer is handed to the review app under /review/ (and facility staff back).
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, serverAndBrowser, phone, openLogin, synced } from "./harness.mjs";

const env = serverAndBrowser();

/** A phone on the login page with the app's wasm held back until `release()`: the HTML form is showing. */
async function beforeTheApp(browser, server) {
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  let release;
  const gate = new Promise((r) => (release = r));
  await page.route("**/*_bg.wasm", async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(server.url);
  await page.waitForSelector("#boot-login:not([hidden])");
  return { ctx, page, release: () => release() };
}

test("the HTML login form works while the app downloads: a press of 登录 logs in when the app arrives", async () => {
  const { ctx, page, release } = await beforeTheApp(env.browser, env.server);
  assert.match(await page.textContent("#boot-notice"), /应用正在下载/);
  await page.fill("#boot-username", "wangzhuang-head");
  await page.fill("#boot-password", PASSWORD);
  await page.click("#boot-login button[type=submit]");
  await page.waitForSelector("#boot-notice:has-text('应用加载完成后将自动登录')");
  assert.equal(await page.locator(".areas .area").count(), 0, "the app has not started yet");
  release();
  await page.waitForSelector(".areas .area", { timeout: 60_000 });
  await synced(page);
  assert.equal(await page.locator("#boot").count(), 0, "the boot page is gone");
  await ctx.close();
});

test("typed but not sent: the app's login form starts with what was typed, and typing goes on where it was", async () => {
  const { ctx, page, release } = await beforeTheApp(env.browser, env.server);
  await page.fill("#boot-username", "lijia-head");
  await page.fill("#boot-password", "half-typed");
  release();
  await page.waitForSelector("#boot", { state: "detached", timeout: 60_000 });
  assert.equal(await page.inputValue("main.login input[name=username]"), "lijia-head");
  assert.equal(await page.inputValue("main.login input[name=password]"), "half-typed");
  // Typing goes on in the field the user was in, after what they typed.
  await page.keyboard.type("-more");
  assert.equal(await page.inputValue("main.login input[name=password]"), "half-typed-more");
  await ctx.close();
});

test("a clinic's first visit downloads no review app; a reviewer is handed to /review/, facility staff back", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  const fetched = [];
  page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
  await openLogin(page, server);
  await page.fill("input[name=username]", "reviewer");
  await page.fill("input[name=password]", PASSWORD);
  assert.deepEqual(fetched.filter((p) => p.startsWith("/review")), [], "the login page loads the clinic app only");
  await page.click("button[type=submit]");
  await page.waitForSelector(".overview-table", { timeout: 60_000 });
  assert.match(new URL(page.url()).pathname, /^\/review\/county$/);
  assert.ok(fetched.some((p) => /^\/review\/.*_bg\.wasm$/.test(p)), "the review app was loaded");
  // The clinic app's paths lead a reviewer to the same page of the review app.
  await page.goto(`${server.url}/f/wangzhuang`);
  await page.waitForURL(/\/review\/f\/wangzhuang$/);
  await page.waitForSelector(".areas .area");
  await ctx.close();

  // Facility staff who open a review path are handed back to the clinic app.
  const clinic = await phone(browser);
  const staff = await clinic.newPage();
  await openLogin(staff, server);
  await staff.fill("input[name=username]", "wangzhuang-head");
  await staff.fill("input[name=password]", PASSWORD);
  await staff.click("button[type=submit]");
  await staff.waitForSelector(".areas .area");
  await staff.goto(`${server.url}/review/county`);
  await staff.waitForURL((u) => !u.pathname.startsWith("/review"));
  await staff.waitForSelector(".areas .area");
  await clinic.close();
});
