// Photo evidence (issue 14): two photos taken with the server down (a file chooser with test images), shrunk
// on the device, shown again after an offline reload; the server comes back, the queue uploads them, a
// colleague and the county reviewer see them; a problem's after-photo reaches the reviewer, who verifies.
// Also: a full device storage keeps nothing and says so, and the rest goes on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { PASSWORD, serverAndBrowser, phone, login, inReviewApp, openLogin, openArea, screenshotDir, shellCached, synced } from "./harness.mjs";

const FACILITY = "wangzhuang";
const ITEM = "T5.02";
const env = serverAndBrowser();

/** A camera-sized JPEG (4000 × 3000, gradients and texture, as a phone writes) made in the browser. */
async function cameraJpeg(page, seed) {
  const base64 = await page.evaluate(async (seed) => {
    const canvas = new OffscreenCanvas(4000, 3000);
    const g = canvas.getContext("2d");
    const grad = g.createLinearGradient(0, 0, 4000, 3000);
    grad.addColorStop(0, `hsl(${seed * 47 % 360}, 60%, 70%)`);
    grad.addColorStop(1, `hsl(${(seed * 47 + 120) % 360}, 50%, 30%)`);
    g.fillStyle = grad;
    g.fillRect(0, 0, 4000, 3000);
    let x = seed * 7919;
    const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 4000; i++) {
      g.fillStyle = `rgba(${rand() * 255 | 0}, ${rand() * 255 | 0}, ${rand() * 255 | 0}, 0.6)`;
      g.fillRect(rand() * 4000, rand() * 3000, 6 + rand() * 120, 6 + rand() * 120);
    }
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.95 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, seed);
  return Buffer.from(base64, "base64");
}

/** Waits until the item shows `n` photos whose pictures are loaded, and returns their sizes and widths. */
async function shownPhotos(page, subject, n, timeout = 30_000) {
  const sel = `.photos[data-subject="${subject}"] li.photo`;
  await page.waitForFunction(
    ({ sel, n }) => {
      const items = [...document.querySelectorAll(sel)];
      return items.length === n && items.every((li) => li.querySelector("img")?.complete && li.querySelector("img").naturalWidth > 0);
    },
    { sel, n },
    { timeout },
  );
  return page.$$eval(sel, (lis) => lis.map((li) => ({
    hash: li.dataset.hash,
    width: li.querySelector("img").naturalWidth,
    height: li.querySelector("img").naturalHeight,
  })));
}

test("photos taken offline survive a reload, upload on reconnect and reach a colleague and the reviewer, who verifies after an after-photo", async () => {
  const { server, browser } = env;
  const [ctxA, ctxB, ctxR] = [await phone(browser), await phone(browser), await phone(browser)];
  const [a, b, r] = [await ctxA.newPage(), await ctxB.newPage(), await ctxR.newPage()];
  await login(a, server, `${FACILITY}-head`);
  await login(b, server, `${FACILITY}-member`);
  await openLogin(r, server);
  await r.fill("input[name=username]", "reviewer");
  await r.fill("input[name=password]", PASSWORD);
  await r.click("button[type=submit]");
  await inReviewApp(r);
  await r.waitForSelector(".overview-table");
  await shellCached(a);
  const images = [await cameraJpeg(a, 1), await cameraJpeg(a, 2)];

  // Offline: two photos on the item from the gallery chooser (several at once).
  await server.stop();
  await openArea(a, server, FACILITY, "T5");
  await a.waitForSelector('.sync[data-net="offline"]', { timeout: 30_000 });
  const subject = `item:${ITEM}`;
  const gallery = `article[data-item="${ITEM}"] .photos[data-subject="${subject}"] label.gallery input[type=file]`;
  await a.setInputFiles(gallery, images.map((buffer, i) => ({ name: `IMG_000${i}.jpg`, mimeType: "image/jpeg", buffer })));
  const taken = await shownPhotos(a, subject, 2);
  for (const p of taken) assert.ok(Math.max(p.width, p.height) <= 1600, `shrunk to 1,600 px (${p.width}×${p.height})`);
  await a.waitForSelector('.photo-queue[data-pending="2"]');
  assert.match(await a.textContent(".photo-queue"), /照片 2 张待上传/);
  // The sizes before and after shrinking, for the record.
  const sizes = await a.evaluate(async () => {
    const db = await new Promise((ok, fail) => {
      const req = indexedDB.open("zhigai-photos");
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
    const all = await new Promise((ok) => {
      const req = db.transaction("meta").objectStore("meta").getAll();
      req.onsuccess = () => ok(req.result.map((s) => JSON.parse(s)));
    });
    return all.map((m) => m.size);
  });
  console.log(`photo sizes: before ${images.map((i) => i.length)} bytes, after ${sizes} bytes`);
  for (const size of sizes) assert.ok(size < 400 * 1024, `about 200–300 KB after shrinking (${size})`);
  await a.locator(`article[data-item="${ITEM}"] .photos`).scrollIntoViewIfNeeded();
  await a.screenshot({ path: join(screenshotDir(), "photos-360.png") });

  // Reloaded with no server: the photos are still there, from the device.
  await a.reload();
  await a.waitForSelector(`article[data-item="${ITEM}"]`, { timeout: 30_000 });
  await shownPhotos(a, subject, 2);
  // The home page says how much room they take.
  await a.click(".tabs a.tab >> nth=0");
  await a.waitForSelector('.photo-storage[data-photos="2"]');
  assert.match(await a.textContent(".photo-storage"), /本机照片：2 · \d+ KB/);
  await openArea(a, server, FACILITY, "T5");

  // The server comes back: the queue empties by itself, the document syncs.
  await server.start();
  await synced(a, 60_000);
  await a.waitForSelector(".photo-queue", { state: "detached", timeout: 60_000 });

  // A colleague and the reviewer see them, fetched from the server.
  for (const page of [b, r]) {
    await openArea(page, server, FACILITY, "T5");
    const seen = await shownPhotos(page, subject, 2, 60_000);
    assert.deepEqual(seen.map((p) => p.hash).sort(), taken.map((p) => p.hash).sort());
  }
  // The reviewer opens one full size.
  await r.click(`.photos[data-subject="${subject}"] li.photo >> nth=0 >> button.thumb`);
  await r.waitForSelector(".lightbox img");
  await r.click(".lightbox button");

  // A problem on the item, rectified, proved by an after-photo taken with the camera button.
  await a.click(`article[data-item="${ITEM}"] button.status[data-status="non_compliant"]`);
  await a.click(`article[data-item="${ITEM}"] a:has-text("登记问题")`);
  await a.waitForSelector(".problem-form");
  await a.fill(".problem-form textarea[name=description]", "药品柜未上锁");
  await a.click(".problem-form button[type=submit]");
  const id = await (await a.waitForFunction(
    (text) => [...document.querySelectorAll("li.problem")].find((li) => li.querySelector("textarea").value === text)?.dataset.problem,
    "药品柜未上锁",
  )).jsonValue();
  const card = `li.problem[data-problem="${id}"]`;
  await a.click(`${card} .problem-status button[data-status="rectified"]`);
  const after = `problem:${id}:after`;
  await a.setInputFiles(`${card} .photos[data-subject="${after}"] label.camera input[type=file]`,
    { name: "after.jpg", mimeType: "image/jpeg", buffer: images[1].subarray(0) });
  await shownPhotos(a, after, 1);
  await synced(a);
  await a.waitForSelector(".photo-queue", { state: "detached", timeout: 60_000 });

  await r.goto(`${server.url}/f/${FACILITY}/problems`);
  await r.waitForSelector(`${card}[data-status="rectified"]`, { timeout: 60_000 });
  await shownPhotos(r, after, 1, 60_000);
  assert.equal(await r.locator(`${card} .photos[data-subject="${after}"] label.camera`).count(), 0, "reviewers do not attach photos");
  await r.click(`${card} .verify button:has-text('核实通过')`);
  await r.waitForSelector(`${card} .verification.verified`);
  await synced(r);
  await a.waitForSelector(`${card} .verification.verified`, { timeout: 30_000 });

  // The printed table carries the thumbnails.
  await a.goto(`${server.url}/f/${FACILITY}/print`);
  await a.waitForFunction(
    (item) => [...document.querySelectorAll(`tr[data-item="${item}"] img.print-thumb`)].filter((i) => i.complete && i.naturalWidth > 0).length === 2,
    ITEM,
    { timeout: 30_000 },
  );
  await ctxA.close();
  await ctxB.close();
  await ctxR.close();
});

test("a full device storage keeps no photo, says what to do, and loses nothing else", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  // The device's storage is full for photo bytes: IndexedDB refuses the write as a browser does.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value, key) {
      if (this.name === "bytes") throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      return put.call(this, value, key);
    };
  });
  await login(page, server, `${FACILITY}-member`);
  await openArea(page, server, FACILITY, "T5");
  const image = await cameraJpeg(page, 3);
  const subject = "item:T5.05";
  const before = await page.locator(`.photos[data-subject="${subject}"] li.photo`).count();
  await page.setInputFiles(`.photos[data-subject="${subject}"] label.gallery input[type=file]`,
    { name: "full.jpg", mimeType: "image/jpeg", buffer: image });
  await page.waitForSelector(`.photos[data-subject="${subject}"] .photo-error`);
  assert.match(await page.textContent(`.photos[data-subject="${subject}"] .photo-error`), /存储空间已满/);
  assert.equal(await page.locator(`.photos[data-subject="${subject}"] li.photo`).count(), before, "no reference to a photo the device could not keep");
  // The rest works: an edit goes through and syncs.
  await page.click('article[data-item="T5.05"] button.status[data-status="compliant"]');
  await page.waitForSelector('article[data-item="T5.05"][data-status="compliant"]');
  await synced(page);
  await ctx.close();
});

test("the upload queue sends each photo whole: a cut connection resends only that photo, a refusal is marked and the rest goes on", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  await login(page, server, `${FACILITY}-head`);
  await openArea(page, server, FACILITY, "T5");
  const puts = new Map();
  let n = 0;
  await ctx.route("**/api/blobs/*", async (route) => {
    if (route.request().method() !== "PUT") return route.continue();
    const hash = new URL(route.request().url()).pathname.split("/").pop();
    puts.set(hash, (puts.get(hash) ?? 0) + 1);
    n += 1;
    // The first photo is refused as the server refuses a non-image; the second's connection drops once.
    if (n === 1) {
      return route.fulfill({ status: 415, contentType: "application/json",
        body: JSON.stringify({ error: "not_an_image", message: "该文件不是照片", message_en: "not a photo" }) });
    }
    if (n === 2) return route.abort("connectionreset");
    return route.continue();
  });
  const images = [await cameraJpeg(page, 4), await cameraJpeg(page, 5), await cameraJpeg(page, 6)];
  const subject = "item:T5.09";
  await page.setInputFiles(`.photos[data-subject="${subject}"] label.gallery input[type=file]`,
    images.map((buffer, i) => ({ name: `q${i}.jpg`, mimeType: "image/jpeg", buffer })));
  const shown = await shownPhotos(page, subject, 3);
  // The refused one is said once and stays on the device; the others arrive (the cut one on the next round).
  await page.waitForSelector('.photo-queue[data-refused="1"]', { timeout: 30_000 });
  await page.waitForSelector('.photo-queue[data-pending="0"]', { timeout: 60_000 });
  const counts = [...puts.values()].sort();
  assert.deepEqual(counts, [1, 1, 2], `each photo sent whole, only the cut one again (${[...puts.entries()]})`);
  await synced(page);
  const token = await server.token(`${FACILITY}-member`);
  const statuses = await Promise.all(shown.map(async (p) =>
    (await fetch(`${server.url}/api/blobs/${p.hash}`, { headers: { authorization: `Bearer ${token}` } })).status));
  assert.deepEqual(statuses.sort(), [200, 200, 404], "the two accepted photos reach a colleague");
  await ctx.close();
});

/** `jpeg` with an EXIF block naming 39°54'26.4"N 116°23'29.16"E inserted after its start marker. */
function withGps(jpeg) {
  const le = (n, bytes) => { const b = Buffer.alloc(bytes); bytes === 2 ? b.writeUInt16LE(n) : b.writeUInt32LE(n); return b; };
  const entry = (tag, type, count, value) => Buffer.concat([le(tag, 2), le(type, 2), le(count, 4), value]);
  const data = 26 + 2 + 4 * 12 + 4;
  const tiff = Buffer.concat([
    Buffer.from("II"), le(42, 2), le(8, 4),
    le(1, 2), entry(0x8825, 4, 1, le(26, 4)), le(0, 4),
    le(4, 2),
    entry(1, 2, 2, Buffer.from([0x4e, 0, 0, 0])), entry(2, 5, 3, le(data, 4)),
    entry(3, 2, 2, Buffer.from([0x45, 0, 0, 0])), entry(4, 5, 3, le(data + 24, 4)),
    le(0, 4),
    ...[[39, 1], [54, 1], [264, 10], [116, 1], [23, 1], [2916, 100]].flatMap(([n, d]) => [le(n, 4), le(d, 4)]),
  ]);
  const body = Buffer.concat([Buffer.from("Exif\0\0"), tiff]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), len, body, jpeg.subarray(2)]);
}

test("the place a photo was taken never leaves in its bytes, and is kept as data only when the user says so", async () => {
  const { server, browser } = env;
  const ctx = await phone(browser);
  const page = await ctx.newPage();
  await login(page, server, `${FACILITY}-member`);
  await openArea(page, server, FACILITY, "T5");
  const subject = "item:T5.01";
  const strip = `.photos[data-subject="${subject}"]`;
  const storedBytes = (hash) => page.evaluate(async (hash) => {
    const db = await new Promise((ok) => { const r = indexedDB.open("zhigai-photos"); r.onsuccess = () => ok(r.result); });
    const bytes = await new Promise((ok) => { const r = db.transaction("bytes").objectStore("bytes").get(hash); r.onsuccess = () => ok(r.result); });
    return Array.from(bytes);
  }, hash);
  const hasExif = (bytes) => Buffer.from(bytes).includes(Buffer.from("Exif\0\0"));
  assert.ok(hasExif(withGps(await cameraJpeg(page, 7))), "the test image carries EXIF with a place");

  // Not kept: the shrunk bytes carry no EXIF, the reference no place.
  await page.setInputFiles(`${strip} label.gallery input[type=file]`,
    { name: "gps.jpg", mimeType: "image/jpeg", buffer: withGps(await cameraJpeg(page, 7)) });
  const [first] = await shownPhotos(page, subject, 1);
  assert.equal(hasExif(await storedBytes(first.hash)), false);
  assert.equal(await page.locator(`${strip} li.photo .photo-place`).count(), 0);

  // Kept by choice: shown as data beside the photo; the bytes still carry none.
  await page.check(`${strip} .keep-location input`);
  await page.setInputFiles(`${strip} label.gallery input[type=file]`,
    { name: "gps2.jpg", mimeType: "image/jpeg", buffer: withGps(await cameraJpeg(page, 8)) });
  const both = await shownPhotos(page, subject, 2);
  const second = both.find((p) => p.hash !== first.hash);
  assert.equal(hasExif(await storedBytes(second.hash)), false);
  assert.match(await page.textContent(`${strip} li.photo[data-hash="${second.hash}"] .photo-place`), /拍摄位置：39\.90733, 116\.39143/);
  await synced(page);
  await ctx.close();
});
