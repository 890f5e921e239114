# Installs what zhigai's commands need, each step skipped when already present. Sourced by scripts/*.
# Only package registries are reachable (crates.io, npm, Debian): nothing is fetched from anywhere else.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust with rustup first (https://rustup.rs)" >&2
    exit 1
  fi
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The wasm-bindgen version pinned by Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q '0.21.14'; then
    say "installing trunk 0.21.14 (once; 10-20 minutes)"
    cargo install trunk --version 0.21.14 --locked
  fi
}

ensure_wasm_bindgen() {
  local want
  want=$(wasm_bindgen_version)
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$want"; then
    say "installing wasm-bindgen-cli $want"
    cargo install wasm-bindgen-cli --version "=$want"
  fi
}

ensure_wasm_opt() {
  ensure_node
  if ! wasm-opt --version 2>/dev/null | grep -q 'version 123'; then
    say "installing wasm-opt (binaryen 123 from npm)"
    npm install -g binaryen@123.0.0
  fi
}

# The standard library's source: release bundles rebuild std for size (scripts/build-frontend --release).
ensure_rust_src() {
  local library
  library="$(rustc --print sysroot)/lib/rustlib/src/rust/library"
  if [ ! -d "$library" ]; then
    say "adding the rust-src component (the release bundle rebuilds std for size)"
    rustup component add rust-src
  fi
  # std's own dependencies (its lock file's crates) must be in cargo's cache: Trunk builds offline, and a
  # machine that never built std has none of them. Quick when they are there already.
  if ! RUSTC_BOOTSTRAP=1 cargo fetch --locked --manifest-path "$library/Cargo.toml" >/dev/null; then
    echo "could not fetch the crates std is built from (cargo fetch --manifest-path $library/Cargo.toml)" >&2
    exit 1
  fi
}

ensure_frontend_tools() {
  ensure_wasm_target
  ensure_trunk
  ensure_wasm_bindgen
  ensure_wasm_opt
}

# The server's tests run against a real PostgreSQL on 127.0.0.1:5432 (or ZHIGAI_TEST_POSTGRES).
ensure_postgres() {
  if [ -n "${ZHIGAI_TEST_POSTGRES:-}" ]; then return; fi
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then return; fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  elif command -v apt-get >/dev/null 2>&1; then
    say "installing PostgreSQL (Debian package)"
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    # Local test databases only: trust connections from this machine.
    hba="/etc/postgresql/$(ls /etc/postgresql | head -1)/main/pg_hba.conf"
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main reload || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432: start it, or set ZHIGAI_TEST_POSTGRES=postgres://user@host:port/db" >&2
  exit 1
}

# The stock automerge-repo client the server's compatibility test drives (npm packages as published).
ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    say "installing Node.js (Debian package)"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
}

ensure_stock_client() {
  ensure_node
  if [ ! -d tests/stock-client/node_modules/@automerge/automerge-repo-network-websocket ]; then
    say "installing the stock automerge-repo client (npm, versions pinned by package-lock.json)"
    (cd tests/stock-client && npm install --no-audit --no-fund)
  fi
}

# Headless Chromium and ChromeDriver from Debian (never a downloaded browser), with a CJK font so Chinese
# renders in screenshots.
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && fc-list 2>/dev/null | grep -i 'wenquanyi\|noto sans cjk' >/dev/null; then
    return
  fi
  say "installing Chromium, ChromeDriver and a Chinese font (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
}

# playwright-core drives Debian's Chromium; it never downloads a browser of its own.
ensure_browser_tests() {
  ensure_node
  if [ ! -d tests/browser/node_modules/playwright-core ]; then
    say "installing playwright-core for the browser tests (npm, version pinned by package-lock.json)"
    (cd tests/browser && npm ci --no-audit --no-fund)
  fi
}
