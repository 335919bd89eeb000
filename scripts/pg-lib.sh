# Helpers for scripts that run their own PostgreSQL clusters (sourced, not
# run): the newest server binaries, free ports, commands as the postgres
# user when run as root (initdb and the server refuse root).
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
export PG_BIN

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A work directory the postgres user may write into.
pg_workdir() {
  local dir
  dir=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  echo "$dir"
}

# pg_init DATA_DIR: a cluster trusting local connections (replication too).
pg_init() {
  as_pg "$PG_BIN/initdb" -D "$1" -A trust -U postgres >/dev/null
}

# pg_conf DATA_DIR 'setting = value' ...: appended to postgresql.conf.
pg_conf() {
  local data=$1
  shift
  printf '%s\n' "$@" | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

# pg_start DATA_DIR PORT [LOG]: listens on 127.0.0.1:PORT, its socket beside
# the data directory (not in it: pg_basebackup would copy it).
pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$1" -l "${3:-$1/server.log}" -w -t 60 \
    -o "-p $2 -k $(dirname "$1") -c listen_addresses=127.0.0.1" start >/dev/null
}

pg_stop() { as_pg "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null 2>&1 || true; }

# psql as postgres over the socket beside the data directory.
pg_sql() {
  local data=$1 port=$2
  shift 2
  as_pg "$PG_BIN/psql" -X -q -At -h "$(dirname "$data")" -p "$port" -U postgres -d postgres "$@"
}

# The target directory cargo uses (CI may keep it outside the clone).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}
