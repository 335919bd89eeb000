#!/usr/bin/env bash
# Prints the gzipped size of everything a storefront loads for the widget:
# the module graph from widget/loyalty-wallet.js (static imports and
# new URL('./…', import.meta.url) assets, found by following the source) and
# fails when the total passes the 15 KB budget of issue 4.
set -euo pipefail
cd "$(dirname "$0")/../widget"
BUDGET=15360
ENTRY=loyalty-wallet.js

files=()
queue=("$ENTRY")
while ((${#queue[@]})); do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  [[ " ${files[*]} " == *" $f "* ]] && continue
  [[ -f $f ]] || { echo "widget-size: $f is referenced but missing" >&2; exit 2; }
  files+=("$f")
  [[ $f == *.js ]] || continue
  for dep in $(grep -oE "(from|URL\() *'\./[^']+'" "$f" | sed -E "s/.*'\.\/([^']+)'/\1/"); do
    queue+=("$dep")
  done
done

# One built-in message table is loaded on demand (lang="de" etc.): count the largest.
lang=$(for f in i18n/*.js; do echo "$(gzip -9 -c "$f" | wc -c) $f"; done | sort -n | tail -1 | cut -d' ' -f2)
[[ -n $lang ]] && files+=("$lang")

total=0
printf '%-22s %8s %8s\n' file bytes gzipped
for f in "${files[@]}"; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + gz))
  printf '%-22s %8d %8d\n' "$f" "$raw" "$gz"
done
printf '%-22s %8s %8d  (budget %d)\n' total '' "$total" "$BUDGET"
if ((total > BUDGET)); then
  echo "widget-size: over budget by $((total - BUDGET)) bytes" >&2
  exit 1
fi
