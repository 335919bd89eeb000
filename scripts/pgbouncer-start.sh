#!/usr/bin/env bash
# Starts PgBouncer in transaction pooling mode in front of a PostgreSQL
# server and prints its URL; every database name is passed through.
#
#   scripts/pgbouncer-start.sh <server host> <server port> <work dir> [pool size=40]
#
# Stop it with: kill "$(cat <work dir>/pgbouncer.pid)".
set -euo pipefail
HOST=$1 SERVER_PORT=$2 WORK=$3 POOL=${4:-40}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK"
cat >"$WORK/pgbouncer.ini" <<INI
[databases]
* = host=$HOST port=$SERVER_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/users.txt
pool_mode = transaction
default_pool_size = $POOL
max_client_conn = 2000
max_db_connections = $POOL
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
INI
echo '"postgres" ""' >"$WORK/users.txt"
# PgBouncer refuses to run as root.
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$WORK"
  runuser -u postgres -- pgbouncer -d "$WORK/pgbouncer.ini"
else
  pgbouncer -d "$WORK/pgbouncer.ini"
fi
for _ in $(seq 1 50); do
  [ -s "$WORK/pgbouncer.pid" ] && break
  sleep 0.1
done
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
