#!/usr/bin/env bash
# Crash safety: kill -9 the service at a random moment of a claim
# load, restart it, then check that every claim whose 201 was received is in
# the database, that the invariants hold and (SQLite) that PRAGMA
# integrity_check is ok. Exits non-zero on the first violation.
#
#   scripts/crash-test.sh [sqlite | postgres://user@host:port/db] [rounds=20]
#
# LOYALTY_BIN names the binary (default: $CARGO_TARGET_DIR or target, release;
# built if missing); CRASH_LOAD_SECONDS (3) and CRASH_CLIENTS (16) shape
# each round's load.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${1:-sqlite}
ROUNDS=${2:-20}
LOAD_SECONDS=${CRASH_LOAD_SECONDS:-3}
CLIENTS=${CRASH_CLIENTS:-16}
BIN=${LOYALTY_BIN:-${CARGO_TARGET_DIR:-target}/release/loyalty-wallet}
[ -x "$BIN" ] || cargo build --release
BIN=$(realpath "$BIN")

WORK=$(mktemp -d /tmp/lw-crash.XXXXXX)
ACKED=$WORK/acked.txt
: >"$ACKED"
if [ "$TARGET" = sqlite ]; then
  DB=$WORK/crash.db
else
  case "$TARGET" in
    postgres://*/* | postgresql://*/*) SERVER=${TARGET%/*} ;;
    *) SERVER=$TARGET ;;
  esac
  DB_NAME=lw_crash_$$_$RANDOM
  DB=$SERVER/$DB_NAME
fi

export LOYALTY_APP_SECRET=crash-test-secret-0123456789abcdef-0123456789
export LOYALTY_CLIENT_ID=loyalty-wallet-crash-test
export LOYALTY_WORKERS=0 RUST_BACKTRACE=0
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
SERVER_PID=

start_server() {
  DATABASE_URL=$DB LOYALTY_BIND=127.0.0.1:$PORT RUST_LOG=warn "$BIN" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "crash-test: the service did not come back; log: $WORK/server.log" >&2
  tail -n 20 "$WORK/server.log" >&2
  exit 1
}

cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "${DB_NAME:-}" ] && [ "${KEEP:-0}" != 1 ] && command -v psql >/dev/null; then
    psql -q "$SERVER/postgres" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "crash-test: $ROUNDS rounds on ${TARGET%%://*} (${LOAD_SECONDS}s of $CLIENTS clients each)"
"$BIN" bench seed --customers 2000 --entries 2000 --database "$DB" >/dev/null
start_server
for round in $(seq 1 "$ROUNDS"); do
  "$BIN" bench claims --url "$BASE" --database "$DB" --reuse --clients "$CLIENTS" \
    --seconds "$LOAD_SECONDS" --record "$ACKED" --no-ceiling --no-verify >"$WORK/load-$round.log" 2>&1 &
  LOAD_PID=$!
  # Kill somewhere between 0.3 s and the end of the load.
  DELAY_MS=$((300 + RANDOM % (LOAD_SECONDS * 1000 - 400)))
  sleep "$(printf '%d.%03d' $((DELAY_MS / 1000)) $((DELAY_MS % 1000)))"
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  if ! wait "$LOAD_PID"; then
    echo "crash-test: the load failed in round $round" >&2
    cat "$WORK/load-$round.log" >&2
    exit 1
  fi
  start_server
  if ! VERDICT=$("$BIN" bench verify --database "$DB" --acked "$ACKED" 2>&1); then
    echo "crash-test: round $round FAILED (killed after ${DELAY_MS} ms)" >&2
    echo "$VERDICT" >&2
    KEEP=1
    exit 1
  fi
  printf 'round %2d: killed after %4d ms; %6d acknowledged claims so far, all present; invariants hold\n' \
    "$round" "$DELAY_MS" "$(wc -l <"$ACKED")"
done
echo "crash-test: $ROUNDS kill -9 rounds passed ($(wc -l <"$ACKED") acknowledged claims checked)"
