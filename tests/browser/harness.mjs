// Shared by the browser tests: starts the real server (debug build, demo data, a throw-away SQLite file)
// serving the Trunk build in dist/, and headless Chromium from Debian's package through playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const PASSWORD = "zhigai2026";
const SERVER = process.env.ZHIGAI_SERVER_BIN ?? join(ROOT, "target/debug/zhigai-server");
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
// The built apps the server serves: the debug build of scripts/test, or a release build (e.g. target/dist-release
// of scripts/bundle-size) to try the tests on what users get.
const DIST = process.env.ZHIGAI_TEST_DIST ?? join(ROOT, "dist");

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A server over one database file; `stop` and `start` again keep the data (same port, same file). */
export class Server {
  /** `today` (YYYY-MM-DD) sets the server's calendar through ZHIGAI_TODAY; change it between restarts. */
  constructor({ today } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "zhigai-browser-"));
    this.db = `sqlite://${join(this.dir, "zhigai.db")}`;
    this.proc = null;
    this.port = 0;
    this.today = today;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    this.proc = spawn(
      SERVER,
      ["serve", "--demo", "--host", "127.0.0.1", "--port", String(this.port), "--database-url", this.db,
        "--static-dir", DIST],
      {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, RUST_LOG: "warn", ...(this.today ? { ZHIGAI_TODAY: this.today } : {}) },
      },
    );
    let log = "";
    this.proc.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
    for (let i = 0; i < 600; i++) {
      if (this.proc.exitCode !== null) throw new Error(`server exited: ${log}`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) return;
      } catch {}
      await sleep(100);
    }
    throw new Error(`server did not start: ${log}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
  }

  /** Runs `zhigai-server admin …` against this server's database. */
  async admin(...args) {
    const proc = spawn(SERVER, ["admin", "--database-url", this.db, ...args], { stdio: "ignore" });
    const code = await new Promise((r) => proc.once("exit", r));
    if (code !== 0) throw new Error(`admin ${args.join(" ")} exited ${code}`);
  }

  /** Logs in over the API, for checks made beside the browser. */
  async token(username) {
    const r = await fetch(`${this.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    if (!r.ok) throw new Error(`login ${username}: ${r.status}`);
    return (await r.json()).token;
  }
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync"],
  });
}

/** A phone-sized browser context (360 px wide, Chinese locale). */
export async function phone(browser) {
  return browser.newContext({ viewport: { width: 360, height: 780 }, locale: "zh-CN", serviceWorkers: "allow" });
}

/** Opens the login page and waits until the app has taken over from index.html's HTML form, so what a test
 * types goes to the app's form (firstvisit.test.mjs tests typing into the HTML form before that). */
export async function openLogin(page, server) {
  await page.goto(server.url);
  await page.waitForSelector("body:not(:has(#boot)) main.login input[name=username]", { timeout: 120_000 });
}

/** Logs in through the form and waits for the facility's home page to load and sync. */
export async function login(page, server, username) {
  await openLogin(page, server);
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector(".areas .area");
  await synced(page);
}

/** Waits until a reviewer's login has handed over to the review app and it has started (a second wasm: in
 * the debug builds the tests use, each app is ~12 MB, so this may take longer than one selector's wait). */
export async function inReviewApp(page) {
  await page.waitForFunction(
    () => location.pathname.startsWith("/review") && !document.getElementById("boot") && document.querySelector("main"),
    null,
    { timeout: 120_000 },
  );
}

/** Waits until the badge says 已同步 with nothing unsynced. */
export async function synced(page, timeout = 60_000) {
  await page.waitForSelector('.sync[data-net="synced"][data-unsynced="0"]', { timeout });
}

/** Waits until the service worker controls the page (the app shell is cached). */
export async function shellCached(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
}

/** The status an item shows (`compliant`, …, or `none`). */
export async function statusOf(page, item) {
  return page.getAttribute(`article[data-item="${item}"]`, "data-status");
}

export async function setStatus(page, item, status) {
  await page.click(`article[data-item="${item}"] button.status[data-status="${status}"]`);
  await page.waitForSelector(`article[data-item="${item}"][data-status="${status}"]`);
}

export async function openArea(page, server, facility, area) {
  await page.goto(`${server.url}/f/${facility}/area/${area}`);
  await page.waitForSelector(`.area-page[data-area="${area}"] article.item`);
}

export function screenshotDir() {
  const dir = join(ROOT, "docs/screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Registers one server and one browser for the test file; the returned object holds them once started. */
export function serverAndBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = new Server();
    await env.server.start();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
