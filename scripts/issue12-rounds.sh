#!/usr/bin/env bash
# Issue 12's figures, as BENCHMARKS.md's first section quotes them: every
# item once per round, ROUNDS rounds (interleaved, so a noisy minute on the
# shared machine spreads over items), each round's full output in
# OUT/round-N.log. Medians are taken by hand from the logs.
#
#   scripts/issue12-rounds.sh PG_URL SEEDED_SQLITE [rounds=3] [out=/tmp/lw-issue12]
#
# PG_URL: a PostgreSQL server (`bench claims` creates its database there;
# pgbench, when installed, gives ceiling (c)). SEEDED_SQLITE: a database
# filled by `loyalty-wallet bench seed --customers 1000000 --entries 10000000`
# (read it once beforehand, `cat file > /dev/null`, for a warm page cache).
# LOYALTY_BIN names the binary (default: release); OLD_BIN, when set, adds
# service-only runs of an older binary beside the new one.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${1:?PG_URL}
SEEDED=${2:?SEEDED_SQLITE}
ROUNDS=${3:-3}
OUT=${4:-/tmp/lw-issue12}
BIN=${LOYALTY_BIN:-${CARGO_TARGET_DIR:-target}/release/loyalty-wallet}
[ -x "$BIN" ] || cargo build --release
BIN=$(realpath "$BIN")
mkdir -p "$OUT"
quick=(--seconds 8 --no-ceiling --no-verify)
service_lines() { grep -E "service \(HTTP|CPU during" || true; }
cd /tmp
for r in $(seq 1 "$ROUNDS"); do
  log="$OUT/round-$r.log"
  {
    echo "== round $r $(date -u +%H:%M:%S) cpu pressure: $(head -1 /proc/pressure/cpu)"
    echo "-- 12.2 sqlite, ceilings (a) (b)"; "$BIN" bench claims --seconds 8
    echo "-- 12.3 postgres, ceilings (a) (b) (c)"; "$BIN" bench claims --seconds 8 --database "$PG"
    if [ -n "${OLD_BIN:-}" ]; then
      echo "-- postgres service only, OLD_BIN"; "$OLD_BIN" bench claims "${quick[@]}" --database "$PG" 2>&1 | service_lines
      echo "-- postgres service only"; "$BIN" bench claims "${quick[@]}" --database "$PG" 2>&1 | service_lines
      echo "-- sqlite service only, OLD_BIN"; "$OLD_BIN" bench claims "${quick[@]}" 2>&1 | service_lines
    fi
    echo "-- 12.5 wallet"; "$BIN" bench wallet --seconds 6
    echo "-- 12.4 empty"; "$BIN" bench claims "${quick[@]}" 2>&1 | service_lines
    echo "-- 12.4 1M"; "$BIN" bench claims "${quick[@]}" --reuse --database "$SEEDED" 2>&1 | service_lines
    echo "== end round $r $(date -u +%H:%M:%S) cpu pressure: $(head -1 /proc/pressure/cpu)"
  } >"$log" 2>&1
  echo "round $r: $log"
done
