#!/usr/bin/env bash
# Prints the gzipped size of everything a storefront loads for the widget:
# the module graph from widget/loyalty-wallet.js (static imports, modules
# imported on demand with import('./…') — e.g. wallet-offers.js, loaded only
# when the shopper has offers, is counted as if always loaded — and
# new URL('./…', import.meta.url) assets, found by following the source) plus
# one message table, and fails when the total passes the 15 KB budget.
# Then the same for what the theme app extension ships (the bundle
# scripts/build-extension.sh makes: one module with every message table in
# it, and its stylesheet), against the same budget.
set -euo pipefail
cd "$(dirname "$0")/../widget"
BUDGET=15360
EXTENSION_ASSETS=../extensions/loyalty-widget/assets
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
  for dep in $(grep -oE "(from|URL\(|import\() *'\./[^']+'" "$f" | sed -E "s/.*'\.\/([^']+)'/\1/"); do
    queue+=("$dep")
  done
done

# Exactly one message table loads (i18n/en.js, or de/fr/es for lang="de" etc.;
# every table has every key, so English is not loaded underneath): count the largest.
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
over=0
if ((total > BUDGET)); then
  echo "widget-size: over budget by $((total - BUDGET)) bytes" >&2
  over=1
fi

echo
bundle=0
printf '%-52s %8s %8s\n' 'theme extension bundle' bytes gzipped
for f in "$EXTENSION_ASSETS"/loyalty-wallet.js "$EXTENSION_ASSETS"/loyalty-wallet.css; do
  [[ -f $f ]] || { echo "widget-size: $f is missing (scripts/build-extension.sh)" >&2; exit 2; }
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  bundle=$((bundle + gz))
  printf '%-52s %8d %8d\n' "${f#../}" "$raw" "$gz"
done
printf '%-52s %8s %8d  (budget %d)\n' total '' "$bundle" "$BUDGET"
if ((bundle > BUDGET)); then
  echo "widget-size: the extension bundle is over budget by $((bundle - BUDGET)) bytes" >&2
  over=1
fi
exit "$over"
