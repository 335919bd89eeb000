#!/usr/bin/env bash
# kill -9 crash test on SQLite and, when .ci/run provides a
# server, on PostgreSQL: 20 rounds of ~4 s each, about 3 minutes in all.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${CRASH_ROUNDS:-20}
scripts/crash-test.sh sqlite "$ROUNDS"
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  scripts/crash-test.sh "$TEST_POSTGRES_URL" "$ROUNDS"
fi
