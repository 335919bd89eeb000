#!/usr/bin/env bash
# Builds the storefront widget the theme app extension ships, from widget/
# (which the binary keeps serving as is, unbundled):
#   extensions/loyalty-widget/assets/loyalty-wallet.js   ONE ES module: widget/loyalty-wallet.js
#       and everything it imports — static imports, import('./wallet-offers.js'), and the
#       message tables behind import(`./i18n/${lang}.js`) — bundled in by esbuild;
#   extensions/loyalty-widget/assets/loyalty-wallet.css  widget/loyalty-wallet.css, minified.
# The module finds its stylesheet beside itself (new URL('./loyalty-wallet.css',
# import.meta.url)): Shopify serves an extension's assets from one folder.
#
#   scripts/build-extension.sh          rebuild the assets (commit them)
#   scripts/build-extension.sh --check  fail when the committed assets differ from a fresh build,
#                                       or Shopify's Theme Check finds an offense in the extension
#
# esbuild and @shopify/theme-check-node are pinned in scripts/extension/package.json
# (+ package-lock.json); `npm ci` there installs them (.ci/run does; this script does when it is missing).
# --ignore-scripts: the binary comes in the lock file's @esbuild/<platform>
# package, so esbuild's postinstall (a check, or a download) is not needed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=$ROOT/scripts/extension
ASSETS=$ROOT/extensions/loyalty-widget/assets
ESBUILD=$TOOLS/node_modules/.bin/esbuild
MODE=${1:-build}
case $MODE in build | --check) ;; *) echo "usage: $0 [--check]" >&2; exit 2 ;; esac

[ -x "$ESBUILD" ] && [ -d "$TOOLS/node_modules/@shopify/theme-check-node" ] || (cd "$TOOLS" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
OUT=$(mktemp -d /tmp/lw-extension.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
cd "$ROOT"

BANNER='/* Built from widget/ by scripts/build-extension.sh: do not edit. */'
# es2022 keeps the source's class fields as written (nothing to lower);
# utf8 keeps the message tables' accents as they are, not \u escapes.
"$ESBUILD" widget/loyalty-wallet.js --bundle --format=esm --target=es2022 --minify --charset=utf8 \
  --banner:js="$BANNER" --log-level=warning --outfile="$OUT/loyalty-wallet.js"
"$ESBUILD" widget/loyalty-wallet.css --minify --charset=utf8 \
  --banner:css="$BANNER" --log-level=warning --outfile="$OUT/loyalty-wallet.css"

# Whatever the bundle still loads at run time must be an asset beside it:
# no import('./…') left unbundled, every new URL('./…', import.meta.url) shipped.
if grep -qE 'import\(["'"'"'`]\.' "$OUT/loyalty-wallet.js"; then
  echo "build-extension: a relative import() was left out of the bundle" >&2
  exit 1
fi
for ref in $(grep -oE 'new URL\("\./[^"]+"' "$OUT/loyalty-wallet.js" | sed -E 's/.*"\.\/([^"]+)"/\1/'); do
  [ -f "$OUT/$ref" ] || { echo "build-extension: the bundle loads ./$ref, which is not built" >&2; exit 1; }
done

if [ "$MODE" = --check ]; then
  stale=0
  for f in "$OUT"/*; do
    name=$(basename "$f")
    if ! cmp -s "$f" "$ASSETS/$name"; then
      echo "build-extension: extensions/loyalty-widget/assets/$name differs from a fresh build of widget/" >&2
      stale=1
    fi
  done
  if [ "$stale" = 1 ]; then
    echo "build-extension: run scripts/build-extension.sh and commit the assets" >&2
    exit 1
  fi
  echo "build-extension: the committed assets are a fresh build of widget/"
  node "$TOOLS/theme-check.mjs" extensions/loyalty-widget
  exit 0
fi
mkdir -p "$ASSETS"
cp "$OUT"/* "$ASSETS"/
for f in "$ASSETS"/loyalty-wallet.*; do
  printf '%-40s %6d bytes, %6d gzipped\n' "${f#"$ROOT"/}" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
done
