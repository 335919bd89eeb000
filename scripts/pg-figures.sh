#!/usr/bin/env bash
# Issue 27's throughput figures, with the release binary's `bench claims`
# (32 clients, a fresh seeded database per phase, phases alternated so a
# busy machine weighs on both sides alike):
#   TLS   claims/s over sslmode=verify-full ÷ over sslmode=disable, one server
#   pool  claims/s through PgBouncer (transaction mode, prepared statements
#         off) ÷ direct (prepared statements on, the default)
#
#   scripts/pg-figures.sh [seconds=10] [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-lib.sh
SECONDS_EACH=${1:-10}
ROUNDS=${2:-2}
BIN=${LOYALTY_BIN:-$(cargo_target_dir)/release/loyalty-wallet}
[ -x "$BIN" ] || cargo build --release --bin loyalty-wallet

WORK=$(pg_workdir lw-figures)
PORT=$(free_port)
cleanup() {
  [ -s "$WORK/bouncer/pgbouncer.pid" ] && kill "$(cat "$WORK/bouncer/pgbouncer.pid")" 2>/dev/null
  pg_stop "$WORK/data" immediate
  rm -rf "$WORK"
}
trap cleanup EXIT
cargo run -q --example pg_test_certs -- "$WORK/certs" >/dev/null
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK/certs"
pg_init "$WORK/data"
pg_conf "$WORK/data" "ssl = on" "ssl_cert_file = '$WORK/certs/server.crt'" \
  "ssl_key_file = '$WORK/certs/server.key'" "max_connections = 300"
pg_start "$WORK/data" "$PORT"
BOUNCER=$(scripts/pgbouncer-start.sh 127.0.0.1 "$PORT" "$WORK/bouncer" 20)

PLAIN="postgres://postgres@localhost:$PORT/postgres?sslmode=disable"
TLS="postgres://postgres@localhost:$PORT/postgres?sslmode=verify-full&sslrootcert=$WORK/certs/ca.crt"

# rate NAME URL [ENV=VALUE ...]: the service phase's claims/s.
rate() {
  local name=$1 url=$2
  shift 2
  env "$@" RUST_LOG=warn "$BIN" bench claims --database "$url" --customers 5000 --clients 32 \
    --seconds "$SECONDS_EACH" --no-ceiling --no-verify --service-log warn --json "$WORK/$name.json" >/dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["phases"][0]["per_second"])' "$WORK/$name.json"
}

declare -A sum
for round in $(seq 1 "$ROUNDS"); do
  for pair in "plain|$PLAIN|LOYALTY_PG_PREPARED_STATEMENTS=1" "tls|$TLS|LOYALTY_PG_PREPARED_STATEMENTS=1" \
    "direct|$PLAIN|LOYALTY_PG_PREPARED_STATEMENTS=1" "bouncer|$BOUNCER|LOYALTY_PG_PREPARED_STATEMENTS=0" \
    "direct_unnamed|$PLAIN|LOYALTY_PG_PREPARED_STATEMENTS=0"; do
    IFS='|' read -r name url setting <<<"$pair"
    r=$(rate "$name" "$url" "$setting")
    printf 'round %d %-15s %8.1f claims/s\n' "$round" "$name" "$r"
    sum[$name]=$(python3 -c "print(${sum[$name]:-0} + $r)")
  done
done
ratio() { python3 -c "print(f'{${sum[$1]} / ${sum[$2]}:.2f}')"; }
echo "TLS (verify-full) / plain: $(ratio tls plain)"
echo "PgBouncer transaction mode (unnamed statements) / direct (prepared): $(ratio bouncer direct)"
echo "direct with unnamed statements / direct prepared: $(ratio direct_unnamed direct)"
