#!/usr/bin/env bash
# make bench: the onboarding benchmark at concurrency 1 and 8 against the real
# stack: PostgreSQL and a Temporal dev server of its own (in memory).
set -euo pipefail
source "$(dirname "$0")/services.sh"
find_postgres
export TEMPORAL_ADDRESS=127.0.0.1:${BENCH_TEMPORAL_PORT:-7243} TEMPORAL_UI_PORT=${BENCH_TEMPORAL_UI_PORT:-8243} TEMPORAL_STATE=memory
find_temporal
export BACKUP_DIR=${BACKUP_DIR:-$DATA/backups}
"$ROOT/bin/landlord" bench onboarding -n "${BENCH_N1:-30}" -c 1
"$ROOT/bin/landlord" bench onboarding -n "${BENCH_N8:-80}" -c 8
"$ROOT/bin/landlord" bench lifecycle -n "${BENCH_TENANTS:-100000}"
"$ROOT/bin/landlord" bench transactions -tenants 50 -c 16 -n "${BENCH_TX:-20000}"
"$ROOT/bin/landlord" bench fleet -n "${BENCH_FLEET:-1000}" -p 4
