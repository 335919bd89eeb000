#!/usr/bin/env bash
# PostgreSQL restarts and failover under a 32-client claim load (issue 27.4,
# 27.5), on clusters of its own under /tmp, with the release binary and the
# pg_outage example (examples/pg_outage.rs: the load, the checks, the
# figures). Exits non-zero on any violation.
#
#   scripts/pg-outage.sh restart [rounds=5]   stop -m fast / -m immediate, then
#                                              a 20 s stop; each started again
#   scripts/pg-outage.sh failover [rounds=5]  synchronous standby (pg_basebackup
#                                              -R); the primary killed (-m
#                                              immediate), the standby promoted;
#                                              DATABASE_URL lists both hosts with
#                                              target_session_attrs=read-write
#
# OUTAGE_CLIENTS (32) sets the load; LOYALTY_BIN and PG_OUTAGE_EXAMPLE name
# the binaries (default: the release ones, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg-lib.sh

# ---------------------------------------------------------- the control side
# Called by the example as `pg-outage.sh control down|up|reset SCENARIO ROUND`
# with OUTAGE_WORK set: takes the database away and back.
primary() { cat "$OUTAGE_WORK/primary"; }
other() { if [ "$(primary)" = a ]; then echo b; else echo a; fi; }
port_of() { cat "$OUTAGE_WORK/$1.port"; }

# NODE becomes a streaming standby of the primary, then the primary waits
# for it synchronously (synchronous_commit on: a commit is acknowledged once
# the standby has flushed it).
make_standby() {
  local node=$1 from
  from=$(primary)
  rm -rf "${OUTAGE_WORK:?}/$node"
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$(port_of "$from")" -U postgres -D "$OUTAGE_WORK/$node" -R -X stream -c fast
  as_pg sed -i '/synchronous_standby_names/d' "$OUTAGE_WORK/$node/postgresql.auto.conf"
  pg_start "$OUTAGE_WORK/$node" "$(port_of "$node")" "$OUTAGE_WORK/$node.log"
  pg_sql "$OUTAGE_WORK/$from" "$(port_of "$from")" -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 100); do
    [ "$(pg_sql "$OUTAGE_WORK/$from" "$(port_of "$from")" -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] && return 0
    sleep 0.1
  done
  echo "the standby did not become synchronous" >&2
  return 1
}

control() {
  local action=$1 scenario=$2 node
  node=$OUTAGE_WORK/$(primary)
  case "$action:$scenario" in
    down:fast | down:stop20) pg_stop "$node" fast ;;
    down:immediate) pg_stop "$node" immediate ;;
    up:stop20) sleep 20; pg_start "$node" "$(port_of "$(primary)")" "$node.log" ;;
    up:fast | up:immediate) pg_start "$node" "$(port_of "$(primary)")" "$node.log" ;;
    down:failover) pg_stop "$node" immediate ;;
    up:failover)
      # The standby runs asynchronously once alone (no standby to wait for).
      as_pg "$PG_BIN/pg_ctl" -D "$OUTAGE_WORK/$(other)" -w promote >/dev/null
      other >"$OUTAGE_WORK/primary.new"
      ;;
    reset:failover)
      local old
      old=$(primary)
      mv "$OUTAGE_WORK/primary.new" "$OUTAGE_WORK/primary"
      make_standby "$old"
      ;;
    reset:*) ;;
    *) echo "unknown control $action $scenario" >&2; return 1 ;;
  esac
}

if [ "${1:-}" = control ]; then
  control "$2" "$3"
  exit
fi

# ---------------------------------------------------------- the test side
MODE=${1:-restart}
ROUNDS=${2:-5}
CLIENTS=${OUTAGE_CLIENTS:-32}
TARGET_DIR=$(cargo_target_dir)
export LOYALTY_BIN=${LOYALTY_BIN:-$TARGET_DIR/release/loyalty-wallet}
EXAMPLE=${PG_OUTAGE_EXAMPLE:-$TARGET_DIR/release/examples/pg_outage}
[ -x "$LOYALTY_BIN" ] && [ -x "$EXAMPLE" ] || cargo build --release --bin loyalty-wallet --example pg_outage

export OUTAGE_WORK
OUTAGE_WORK=$(pg_workdir lw-outage)
free_port >"$OUTAGE_WORK/a.port"
free_port >"$OUTAGE_WORK/b.port"
echo a >"$OUTAGE_WORK/primary"
cleanup() {
  for node in a b; do [ -d "$OUTAGE_WORK/$node" ] && pg_stop "$OUTAGE_WORK/$node" immediate; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$OUTAGE_WORK"
}
trap cleanup EXIT
pg_init "$OUTAGE_WORK/a"
pg_conf "$OUTAGE_WORK/a" "max_connections = 200" "fsync = on" "synchronous_commit = on"
pg_start "$OUTAGE_WORK/a" "$(port_of a)" "$OUTAGE_WORK/a.log"
A=127.0.0.1:$(port_of a)

run() { RUST_BACKTRACE=0 "$EXAMPLE" "$1" "$(realpath "$0")" "$2" "$ROUNDS" "$CLIENTS" "$3"; }
case "$MODE" in
  restart)
    for scenario in ${OUTAGE_SCENARIOS:-fast immediate stop20}; do
      run "postgres://postgres@$A/postgres" "$scenario" 5
    done
    ;;
  failover)
    make_standby b
    run "postgres://postgres@$A,127.0.0.1:$(port_of b)/postgres?target_session_attrs=read-write" failover 10
    ;;
  *) echo "usage: $0 restart|failover [rounds]" >&2; exit 2 ;;
esac
