#!/usr/bin/env bash
# Unpacks Shopify's published Admin GraphQL schemas for the test double:
# `npm pack` fetches the package pinned in package.json (shopifySchemas) from
# the npm registry, its integrity must equal the pinned one, and only
# dist/data/admin_<version>.json.gz are kept, in ./<name>-<version>/.
# Idempotent; CI (.ci/run) runs it before `cargo test`, and the double runs
# it itself on first use when the folder is missing and npm is there.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
pin() { node -e 'const p = require(process.argv[1]).shopifySchemas; console.log(p[process.argv[2]])' "$HERE/package.json" "$1"; }
PACKAGE=$(pin package)
VERSION=$(pin version)
INTEGRITY=$(pin integrity)
OUT="$HERE/${PACKAGE##*/}-$VERSION"
[ -f "$OUT/.complete" ] && exit 0

TMP=$(mktemp -d "$HERE/.fetch.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent --json "$PACKAGE@$VERSION" > pack.json)
GOT=$(node -e 'console.log(require(process.argv[1])[0].integrity)' "$TMP/pack.json")
if [ "$GOT" != "$INTEGRITY" ]; then
  echo "fetch.sh: $PACKAGE@$VERSION has integrity $GOT, pinned $INTEGRITY" >&2
  exit 1
fi
mkdir "$TMP/stage"
tar -xzf "$TMP"/*.tgz -C "$TMP/stage" --strip-components=3 --wildcards 'package/dist/data/admin_*.json.gz'
touch "$TMP/stage/.complete"
# Another run may have finished meanwhile: either folder is complete.
mv -T "$TMP/stage" "$OUT" 2>/dev/null || [ -f "$OUT/.complete" ]
echo "fetch.sh: $(ls "$OUT" | wc -l) schemas of $PACKAGE@$VERSION in $OUT"
