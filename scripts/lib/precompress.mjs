// Writes .br (quality 11) and .gz (level 9) beside every text and wasm file of a build, so the server sends
// them precompressed (tower-http's ServeDir picks them by Accept-Encoding) at no cost per request.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.argv[2];
for (const f of readdirSync(dir)) {
  const path = join(dir, f);
  if (!statSync(path).isFile() || !/\.(wasm|js|css|html)$/.test(f)) continue;
  const bytes = readFileSync(path);
  writeFileSync(`${path}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
}
