#!/usr/bin/env bash
# Two OS processes of the service on one PostgreSQL database, relays and
# sweepers in both, against the Shopify double with faults: zero double
# spend, every code pushed exactly once, invariants hold (well under 3 min
# once built). Needs the PostgreSQL server .ci/run provides.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  echo "two processes: skipped (no TEST_POSTGRES_URL)"
  exit 0
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export LOYALTY_BIN=${LOYALTY_BIN:-$TARGET_DIR/release/loyalty-wallet}
[ -x "$LOYALTY_BIN" ] || cargo build --release
cargo build --release --example two_processes
timeout 300 "$TARGET_DIR/release/examples/two_processes" "$TEST_POSTGRES_URL" \
  "${TWO_PROCESSES_SECONDS:-5}" "${TWO_PROCESSES_CLIENTS:-16}"
