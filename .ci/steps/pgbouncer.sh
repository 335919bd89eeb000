#!/usr/bin/env bash
# Issue 27.3: the service behind PgBouncer (Debian's 1.18: no prepared
# statement support) in transaction pooling mode, in front of CI's
# PostgreSQL, with LOYALTY_PG_PREPARED_STATEMENTS=0: the claims,
# concurrency and campaign-limits tests and the two-processes check run
# through it (about 2-3 min).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  echo "pgbouncer: skipped (no TEST_POSTGRES_URL)"
  exit 0
fi
command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 1; }
SERVER=${TEST_POSTGRES_URL#*@}
SERVER=${SERVER%%/*}
WORK=$(mktemp -d /tmp/lw-pgbouncer.XXXXXX)
cleanup() { [ -s "$WORK/pgbouncer.pid" ] && kill "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
BOUNCER=$(scripts/pgbouncer-start.sh "${SERVER%:*}" "${SERVER#*:}" "$WORK")
echo "PgBouncer (transaction mode): $BOUNCER -> $SERVER"
export LOYALTY_PG_PREPARED_STATEMENTS=0
TEST_DATABASE_URL=$BOUNCER cargo test --test api -- claims:: concurrency:: campaign_limits:: writers::
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export LOYALTY_BIN=${LOYALTY_BIN:-$TARGET_DIR/release/loyalty-wallet}
[ -x "$TARGET_DIR/release/examples/two_processes" ] || cargo build --release --bin loyalty-wallet --example two_processes
timeout 300 "$TARGET_DIR/release/examples/two_processes" "$BOUNCER" \
  "${TWO_PROCESSES_SECONDS:-5}" "${TWO_PROCESSES_CLIENTS:-16}"
