#!/usr/bin/env bash
# Trunk post-build hook: writes sw.js into the build with the list of every file Trunk produced (their
# names carry content hashes) and a version derived from that list, so each new build installs afresh.
set -euo pipefail
dir="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
root="$(cd "$(dirname "$0")/.." && pwd)"
template="$root/frontend/sw.js"
cd "$dir"
# The review app (built into dist/review) is cached by the worker when first opened, not on install: a
# clinic's first visit downloads the clinic app only. It gets its precompressed copies and nothing else.
if [ "$(basename "${TRUNK_HTML_FILE:-index.html}")" = "review.html" ]; then
  if [ "${TRUNK_PROFILE:-debug}" = "release" ]; then
    node "$root/scripts/lib/precompress.mjs" .
  fi
  exit 0
fi
assets=$(find . -path ./review -prune -o -type f ! -name sw.js ! -name '*.map' ! -name '*.br' ! -name '*.gz' -print | sed 's|^\./|/|' | LC_ALL=C sort)
version=$(for f in $assets; do sha256sum ".$f"; done | sha256sum | cut -c1-16)
json=$(printf '%s\n' $assets | awk 'BEGIN { printf "[" } { printf "%s\"%s\"", (NR > 1 ? ", " : ""), $0 } END { printf "]" }')
sed -e "s|__VERSION__|$version|" -e "s|__ASSETS__|$json|" "$template" > sw.js
echo "sw.js: version $version, $(printf '%s\n' $assets | wc -l) files"
# Release builds ship precompressed copies (brotli, gzip) for the server to send.
if [ "${TRUNK_PROFILE:-debug}" = "release" ]; then
  node "$root/scripts/lib/precompress.mjs" .
fi
