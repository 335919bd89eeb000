#!/usr/bin/env bash
# Bytes the service process writes to storage per claim (WAL frames and
# checkpoints on SQLite), from /proc/<service>/io around one
# `bench claims --no-ceiling --no-verify` run (Linux).
#
#   scripts/io-per-claim.sh [bench claims arguments, e.g. --reuse --database seeded-1m.db]
#
# LOYALTY_BIN names the binary (default: release).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LOYALTY_BIN:-${CARGO_TARGET_DIR:-target}/release/loyalty-wallet}
[ -x "$BIN" ] || cargo build --release
BIN=$(realpath "$BIN")
out=$(mktemp)
(cd /tmp && "$BIN" bench claims --seconds 8 --no-ceiling --no-verify "$@" >"$out" 2>&1) &
bench=$!
service=""
for _ in $(seq 1 600); do
  service=$(pgrep -f "$(basename "$BIN") serve" | head -1 || true)
  [ -n "$service" ] && break
  sleep 0.1
done
[ -n "$service" ] || { echo "the service did not start" >&2; exit 1; }
sleep 1
field() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$service/io" 2>/dev/null; }
w0=$(field write_bytes); r0=$(field read_bytes); w=$w0; r=$r0
while kill -0 "$service" 2>/dev/null; do
  w=$(field write_bytes || echo "$w"); w=${w:-$w0}
  r=$(field read_bytes || echo "$r"); r=${r:-$r0}
  sleep 0.2
done
wait "$bench"
grep -E "service \(HTTP" "$out"
claims=$(grep -E "service \(HTTP" "$out" | awk '{for (i = 1; i <= NF; i++) if ($i == "ok") print $(i + 1)}')
echo "claims $claims; written $(( (w - w0) / claims )) bytes a claim; read from disk $(( (r - r0) / claims )) bytes a claim"
rm -f "$out"
