#!/usr/bin/env bash
# Runs before `npm test`: browser tests need Debian's Chromium (playwright-core drives it;
# it never downloads a browser of its own). Installs it when missing and we may use apt.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
# The console is Chinese first: without a CJK font every character renders as a box.
if [ -x "$chromium" ] && ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || true
fi
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
else
  echo "Chromium is missing at $chromium: install it (e.g. apt-get install chromium) or set CHROMIUM_PATH." >&2
  exit 1
fi
