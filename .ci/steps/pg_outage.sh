#!/usr/bin/env bash
# Issue 27.4 and 27.5: PostgreSQL stopped -m fast, -m immediate and for
# 20 s under a 32-client claim load, then a synchronous standby promoted
# while the primary is killed: never a 500, every 503 fast and with
# Retry-After, /readyz not ready while the database is gone, claims again
# within 5 s (10 s after a failover), no acknowledged claim lost. Two rounds
# of each in CI (about 3 min); scripts/pg-outage.sh takes more for figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${OUTAGE_ROUNDS:-2}
scripts/pg-outage.sh restart "$ROUNDS"
scripts/pg-outage.sh failover "$ROUNDS"
