#!/usr/bin/env bash
# Issue 27.1: PostgreSQL over TLS. A CA and a server certificate for
# `localhost` made with rcgen (examples/pg_test_certs.rs), a server with
# ssl=on whose pg_hba.conf has hostssl lines only (plain text is refused)
# and checks the password of role `app`; then a representative part of the
# PostgreSQL suite (claims, concurrency, campaigns, lots) over
# sslmode=verify-full, and the TLS tests: encrypted pool and writer
# connections, require and verify-ca, a wrong CA, a wrong host name and
# plain text refused, start-up errors over TLS (about 2-4 min).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/pg-lib.sh

WORK=$(pg_workdir lw-tls)
DATA=$WORK/data
PORT=$(free_port)
cleanup() { pg_stop "$DATA" immediate; rm -rf "$WORK"; }
trap cleanup EXIT

cargo run -q --example pg_test_certs -- "$WORK/certs" >/dev/null
[ "$(id -u)" = 0 ] && chown -R postgres "$WORK/certs"
pg_init "$DATA"
pg_conf "$DATA" "ssl = on" "ssl_cert_file = '$WORK/certs/server.crt'" "ssl_key_file = '$WORK/certs/server.key'" \
  "max_connections = 300" "password_encryption = 'scram-sha-256'"
# TCP only over TLS; `app` must give its password; the socket stays for this script.
as_pg tee "$DATA/pg_hba.conf" >/dev/null <<HBA
local     all  all                 trust
hostssl   all  app  127.0.0.1/32   scram-sha-256
hostssl   all  app  ::1/128        scram-sha-256
hostssl   all  all  127.0.0.1/32   trust
hostssl   all  all  ::1/128        trust
HBA
pg_start "$DATA" "$PORT"
pg_sql "$DATA" "$PORT" -c "CREATE ROLE app LOGIN PASSWORD 'the-right-password'"

URL="postgres://postgres@localhost:$PORT/postgres?sslmode=verify-full&sslrootcert=$WORK/certs/ca.crt"
echo "TLS server: $URL"
# A plain connection is refused outright (the suite's own checks repeat this).
if as_pg "$PG_BIN/psql" -X -At "postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable" -c 'SELECT 1' 2>/dev/null; then
  echo "FAIL: the TLS server accepted a plain connection" >&2
  exit 1
fi
TEST_DATABASE_URL=$URL cargo test --test api -- \
  claims:: concurrency:: campaigns:: campaign_limits:: lots:: lot_order:: pg_tls:: startup::
