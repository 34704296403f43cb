#!/usr/bin/env bash
# Screenshot a rendered page in headless Chromium (installs Debian's chromium as root if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
page=${1:-01_sde.html}
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else echo "docs-check: chromium is not installed (sudo apt-get install chromium)"; exit 1; fi
fi
out=_docs/screenshot.png
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --hide-scrollbars \
  --virtual-time-budget=15000 --window-size=1280,1600 --screenshot="$out" "file://$PWD/_docs/$page" 2>/dev/null
echo "docs-check: wrote $out from _docs/$page"
