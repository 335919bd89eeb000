#!/usr/bin/env bash
# Issue 14.8: hostile input. Schemathesis (pinned, from PyPI, in a venv made
# here) generates valid and invalid requests from /openapi.json and runs every
# check (no 5xx, status codes, content types, headers and bodies as documented,
# invalid data refused, auth not ignored) against the release binary on a
# fresh SQLite file, with an admin and a customer token. Any failure fails CI.
# Bounded: each of the three runs stops after ST_SECONDS (default 90 s).
#   LOYALTY_BIN=target/release/loyalty-wallet bash .ci/steps/schemathesis.sh
set -euo pipefail
BIN=${LOYALTY_BIN:?LOYALTY_BIN names the binary}
VERSION=3.39.16
EXAMPLES=${ST_EXAMPLES:-25}
SECONDS_EACH=${ST_SECONDS:-90}
WORK=$(mktemp -d /tmp/lw-st.XXXXXX)
REPORTS=${ST_REPORTS:-/tmp/lw-schemathesis-reports}
mkdir -p "$REPORTS"
VENV=${ST_VENV:-/tmp/lw-schemathesis-$VERSION}
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$VERSION" "hypothesis==6.115.6"
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export LOYALTY_APP_SECRET=schemathesis-secret-at-least-32-bytes-long LOYALTY_CLIENT_ID=schemathesis \
  LOYALTY_ENCRYPTION_KEY=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())') \
  DATABASE_URL="$WORK/st.db" LOYALTY_BIND="127.0.0.1:$PORT" RUST_LOG=warn
SHOP=schemathesis.myshopify.com
"$BIN" >"$WORK/service.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.2; done
ADMIN=$("$BIN" token --shop "$SHOP" --role admin --sub 1 --ttl 3600)
CUSTOMER=$("$BIN" token --shop "$SHOP" --role customer --sub 1001 --ttl 3600)
# Something to read: an enabled program and points for the customer.
curl -s -o /dev/null -w 'program: %{http_code}\n' -X PUT "$BASE/api/v1/admin/programs/online" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' \
  -d '{"enabled":true,"points_per_unit":"100","min_points":100,"max_points":100000,"purchase_type":"one_time"}'
curl -s -o /dev/null -w 'points: %{http_code}\n' -X POST "$BASE/api/v1/admin/customers/1001/adjustments" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -H 'Idempotency-Key: st-seed-1' -d '{"points":50000,"reason":"seed"}'

export PYTHONPATH="$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks
status=0
run() { # name, token, path regex
  echo "--- schemathesis: $1"
  if timeout --foreground "$((SECONDS_EACH + 30))" "$VENV/bin/st" run "$BASE/openapi.json" \
    --experimental=openapi-3.1 --checks all --data-generation-method all --hypothesis-max-examples "$EXAMPLES" \
    --hypothesis-derandomize --request-timeout 10000 \
    --max-failures 20 --no-color --show-trace \
    --include-path-regex "$3" ${2:+-H "Authorization: Bearer $2"} >"$REPORTS/$1.txt" 2>&1; then
    :
  else
    status=1
  fi
  sed -n '/^=* FAILURES =*$/,$p' "$REPORTS/$1.txt" | head -n 150
  grep -E '^=+ .*(passed|failed|errored).* =+$' "$REPORTS/$1.txt" || tail -n 20 "$REPORTS/$1.txt"
  echo "full report: $REPORTS/$1.txt"
}
run admin "$ADMIN" '^/api/v1/admin/'
run customer "$CUSTOMER" '^/api/v1/(wallet|quote|claims|transactions|offers)'
run public "" '^/(healthz|readyz|openapi\.json)$'
if grep -q ' ERROR ' "$WORK/service.log"; then
  echo "service logged errors:"; grep ' ERROR ' "$WORK/service.log" | head -n 20
fi
exit $status
