// The field benchmark: a village doctor's first visit and first edits on a slow phone and network, against a
// running release server. Headless Chromium (Debian's) at 360 × 740 with touch, the CPU slowed 4× and Chrome's
// "Fast 3G" and "Slow 3G" profiles set through the DevTools protocol. Prints each figure; asserts nothing
// (machines are noisy: figures go into docs/benchmarks.md, not into tests).
//   node scripts/lib/field-bench.mjs <server url> [username] [password]
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), "../../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const [url, username = "wangzhuang-head", password = "zhigai2026"] = process.argv.slice(2);
if (!url) throw new Error("usage: field-bench.mjs <server url> [username] [password]");
const AREA = process.env.FIELD_BENCH_AREA ?? "T5";

// Chrome DevTools' presets (throughput in bytes per second, latency in ms).
const PROFILES = {
  "Fast 3G": { latency: 562.5, downloadThroughput: ((1.6 * 1000 * 1000) / 8) * 0.9, uploadThroughput: ((750 * 1000) / 8) * 0.9 },
  "Slow 3G": { latency: 2000, downloadThroughput: ((500 * 1000) / 8) * 0.8, uploadThroughput: ((500 * 1000) / 8) * 0.8 },
};
const CPU_SLOWDOWN = 4;

const ms = (x) => `${Math.round(x)} ms`.padStart(9);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** Milliseconds since the page's navigation start when `selector` first matches a visible element. */
async function when(page, selector, timeout = 120_000) {
  const handle = await page.waitForFunction(
    (sel) => {
      const el = document.querySelector(sel);
      return el && el.getClientRects().length > 0 ? performance.now() : null;
    },
    selector,
    { timeout, polling: "raf" },
  );
  return handle.jsonValue();
}

async function run(browser, name, profile) {
  const ctx = await browser.newContext({
    viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, locale: "zh-CN", serviceWorkers: "allow",
  });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  await cdp.send("Network.emulateNetworkConditions", { offline: false, ...profile });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  let bytes = 0;
  const fromWorker = new Set();
  cdp.on("Network.responseReceived", (e) => e.response.fromServiceWorker && fromWorker.add(e.requestId));
  cdp.on("Network.loadingFinished", (e) => { if (!fromWorker.has(e.requestId)) bytes += e.encodedDataLength; });
  const rows = [];
  const row = (step, value, extra = "") => { rows.push([step, value, extra]); console.log(`  ${step.padEnd(58)}${ms(value)} ${extra}`); };
  console.log(`${name} (latency ${profile.latency} ms, down ${kb(profile.downloadThroughput)}/s), CPU ${CPU_SLOWDOWN}× slower, 360 × 740`);

  await page.goto(url, { waitUntil: "commit" });
  row("first visit: navigation → HTML login form usable", await when(page, "#boot-login:not([hidden]) input[name=username]"));
  // The app has taken over once the boot page of index.html is gone.
  const appReady = await when(page, "body:not(:has(#boot)) main.login input[name=username]");
  row("first visit: navigation → the app started (wasm loaded)", appReady, `(${kb(bytes)} over the wire)`);

  await page.fill("main.login input[name=username]", username);
  await page.fill("main.login input[name=password]", password);
  const t0 = await page.evaluate(() => performance.now());
  await page.click("main.login button[type=submit]");
  row("login → home shown", (await when(page, ".areas .area")) - t0);
  row("login → synced", (await when(page, '.sync[data-net="synced"][data-unsynced="0"]')) - t0);

  const t1 = await page.evaluate(() => performance.now());
  await page.click(`.areas .area[data-area="${AREA}"] a.area-link`);
  row(`open an area (${AREA})`, (await when(page, `.area-page[data-area="${AREA}"] article.item`)) - t1);

  // A tap on a status button, timed inside the page: how long the click's handler runs (the edit applied to
  // the document and the re-render, when synchronous), when the DOM first shows the new status (checked after
  // each microtask and frame), and the frame that paints it.
  const tap = await page.evaluate(async () => {
    const item = document.querySelector("article.item[data-item]");
    const id = item.dataset.item;
    const current = item.dataset.status;
    const button = [...item.querySelectorAll("button.status[data-status]")].find((b) => b.dataset.status !== current);
    const target = button.dataset.status;
    const shows = () => document.querySelector(`article.item[data-item="${id}"]`)?.dataset.status === target;
    let shown = null;
    const observer = new MutationObserver(() => { if (shown === null && shows()) shown = performance.now(); });
    observer.observe(document.body, { subtree: true, attributes: true, childList: true });
    const start = performance.now();
    button.click();
    const handler = performance.now() - start;
    if (shown === null && shows()) shown = performance.now();
    return new Promise((resolve) => {
      const check = () => {
        if (shown !== null) {
          observer.disconnect();
          resolve({ ms: performance.now() - start, handler, dom: shown - start, item: id, target });
        } else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  });
  row("tap a status → shown (next frame)", tap.ms, `(${tap.item} → ${tap.target}; handler ${Math.round(tap.handler)} ms, DOM at ${Math.round(tap.dom)} ms)`);
  await when(page, '.sync[data-net="synced"][data-unsynced="0"]');

  await cdp.send("Network.emulateNetworkConditions", { ...profile, offline: true });
  const before = bytes;
  await page.reload({ waitUntil: "commit" });
  const shown = await when(page, `article.item[data-item="${tap.item}"][data-status="${tap.target}"]`);
  row("reload while offline → page with the edit", shown, `(${kb(bytes - before)} over the network)`);
  await ctx.close();
  return rows;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  for (const [name, profile] of Object.entries(PROFILES)) await run(browser, name, profile);
} finally {
  await browser.close();
}
