// Raw, gzip and brotli sizes of every file of a build, and the first-load transfer (what a phone downloads
// on its first visit: every file the service worker caches, plus sw.js itself).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.argv[2] ?? "target/dist-release";
const budgetKb = Number(process.argv[3] ?? 600);
const kb = (n) => (n / 1024).toFixed(1).padStart(9);
const rows = readdirSync(dir)
  .filter((f) => statSync(join(dir, f)).isFile() && !/\.(br|gz)$/.test(f))
  .sort()
  .map((f) => {
    const bytes = readFileSync(join(dir, f));
    return {
      file: f,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
console.log(`${"file".padEnd(48)}${"raw KB".padStart(9)}${"gzip KB".padStart(9)}${"br KB".padStart(9)}`);
for (const r of rows) console.log(`${r.file.padEnd(48)}${kb(r.raw)}${kb(r.gzip)}${kb(r.brotli)}`);
const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
console.log(`${"first load (all files)".padEnd(48)}${kb(sum("raw"))}${kb(sum("gzip"))}${kb(sum("brotli"))}`);
const budget = budgetKb * 1024;
const verdict = sum("brotli") <= budget ? "within" : "OVER";
console.log(`goal: first-load transfer ≤ ${budgetKb} KB brotli: ${verdict} (${(sum("brotli") / 1024).toFixed(1)} KB)`);
