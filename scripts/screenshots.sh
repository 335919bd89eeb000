#!/usr/bin/env bash
# Regenerates the README's images (docs/img/widget.png, docs/img/analytics.png)
# with the browser-test harness: the real server on a free port, a fresh
# SQLite file, Debian's Chromium. Builds the debug binary unless LOYALTY_BIN
# points at one.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${LOYALTY_BIN:-} ]]; then
  cargo build --quiet
  export LOYALTY_BIN=target/debug/loyalty-wallet
fi
[[ -d tests/browser/node_modules ]] || npm ci --prefix tests/browser --no-audit --no-fund
node tests/browser/run.mjs --screenshots-only
