#!/usr/bin/env bash
# Issue 14.9: the release binary needs only Rust to build and nothing but the
# C library to run. libpq (pq-sys "bundled_without_openssl") and SQLite are
# linked statically; fail if the binary asks the dynamic loader for either.
set -euo pipefail
BIN=${LOYALTY_BIN:?LOYALTY_BIN names the release binary}
deps=$(ldd "$BIN")
echo "$deps"
if grep -Eq 'libpq\.so|libsqlite3\.so|libssl\.so|libcrypto\.so' <<<"$deps"; then
  echo "FAIL: $BIN links a database or TLS library dynamically" >&2
  exit 1
fi
# The PostgreSQL client is inside the binary, not just absent.
if ! grep -aq 'PQconnectdb' "$BIN"; then
  echo "FAIL: no libpq symbols in $BIN" >&2
  exit 1
fi
echo "ok: libpq and SQLite are linked statically"
