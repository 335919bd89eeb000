#!/usr/bin/env bash
# The BENCHMARKS.md matrix: every configuration RUNS times (interleaved, so
# a noisy minute on the shared machine spreads over configurations), then
# the median (and range) of each figure as a Markdown table.
#
#   scripts/bench.sh [runs=3] [seconds=15]
#
# PG_URL=postgres://user@host:port/postgres adds the PostgreSQL rows;
# SEEDED_SQLITE=path and SEEDED_PG=url (databases filled by `bench seed`)
# add the seeded rows. LOYALTY_BIN names the binary (default: release).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECS=${2:-15}
BIN=${LOYALTY_BIN:-${CARGO_TARGET_DIR:-target}/release/loyalty-wallet}
[ -x "$BIN" ] || cargo build --release
OUT=$(mktemp -d /tmp/lw-bench-matrix.XXXXXX)
export RUST_BACKTRACE=0

configs=("sqlite-spread|claims" "sqlite-hot|claims --hot" "sqlite-wallet|wallet")
if [ -n "${PG_URL:-}" ]; then
  configs+=("pg-spread|claims --database $PG_URL" "pg-hot|claims --hot --database $PG_URL")
  configs+=("pg-wallet|wallet --database $PG_URL")
fi
[ -n "${SEEDED_SQLITE:-}" ] && configs+=("sqlite-seeded-1m|claims --database $SEEDED_SQLITE --reuse")
[ -n "${SEEDED_PG:-}" ] && configs+=("pg-seeded-1m|claims --database $SEEDED_PG --reuse")

for config in "${configs[@]}"; do echo "${config%%|*}"; done >"$OUT/order"
for run in $(seq 1 "$RUNS"); do
  for config in "${configs[@]}"; do
    name=${config%%|*}
    read -r -a args <<<"${config#*|}"
    echo "run $run/$RUNS: $name (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
    "$BIN" bench "${args[@]}" --seconds "$SECS" --json "$OUT/$name.$run.json" >"$OUT/$name.$run.log" 2>&1 ||
      { echo "  failed: see $OUT/$name.$run.log" >&2; tail -n 5 "$OUT/$name.$run.log" >&2; }
  done
done

python3 - "$OUT" <<'EOF'
import glob, json, os, statistics, sys
out = sys.argv[1]
runs = {name: [] for name in open(os.path.join(out, "order")).read().split()}
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    name = os.path.basename(path).split(".")[0]
    runs.setdefault(name, []).append(json.load(open(path)))

def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    m = statistics.median(values)
    return f"{m:,.0f}" if m >= 100 else f"{m:.2f}"

def span(values):
    values = [v for v in values if v is not None]
    return f"{min(values):,.0f}–{max(values):,.0f}" if values else "–"

def phase(report, prefix, suffix=""):
    found = [p for p in report["phases"] if p["phase"].startswith(prefix) and p["phase"].endswith(suffix)]
    return found[0] if found else None

def field(items, key):
    return [i[key] if i else None for i in items]

print("| configuration | service/s (range) | p50 ms | p99 ms | (a) 1/commit +lots /s | (a) no lots /s (interleaved) | (b) 64/commit +lots /s | (c) pgbench tps | ÷(a) | ÷(b) | ÷(c) | lot cost (a) | service RSS MiB | errors | load avg |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, reports in runs.items():
    if not reports:
        print(f"| {name} | no result |")
        continue
    svc = [phase(r, "service") for r in reports]
    if name.endswith("wallet"):
        a = [phase(r, "ceiling") for r in reports]
    else:
        a = [phase(r, "minimal 1/commit", "+lots") for r in reports]
    a0 = [phase(r, "minimal 1/commit", "no lots (interleaved)") for r in reports]
    b = [phase(r, "minimal 64/commit", "+lots") for r in reports]
    errors = sum(sum(s["errors"].values()) for s in svc if s)
    loads = [l for r in reports for l in r.get("load_average", [])]
    load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "–"
    cost = [r.get("lot_cost") for r in reports]
    cost = [c * 100 for c in cost if c is not None]
    cost = f"{statistics.median(cost):+.0f} % ({min(cost):+.0f}…{max(cost):+.0f})" if cost else "–"
    print(f"| {name} | {med(field(svc, 'per_second'))} ({span(field(svc, 'per_second'))}) "
          f"| {med(field(svc, 'p50_ms'))} | {med(field(svc, 'p99_ms'))} "
          f"| {med(field(a, 'per_second'))} | {med(field(a0, 'per_second'))} | {med(field(b, 'per_second'))} "
          f"| {med([r.get('pgbench_tps') for r in reports])} "
          f"| {med([r.get('ratio') for r in reports])} | {med([r.get('ratio_batch') for r in reports])} "
          f"| {med([r.get('ratio_pgbench') for r in reports])} | {cost} "
          f"| {med([r.get('service_peak_rss_mib') for r in reports])} | {errors} | {load} |")
print(f"\nraw results: {out}", file=sys.stderr)
EOF
