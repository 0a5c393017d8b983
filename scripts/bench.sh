#!/usr/bin/env bash
# make bench: each benchmark beside its floor, against the stack `make run`
# runs: PostgreSQL and a Temporal dev server of its own that keeps its state
# on disk as make run's does (in a file of its own, removed afterwards).
set -euo pipefail
source "$(dirname "$0")/services.sh"
find_postgres
bench_state=$(mktemp -d)
trap 'stop_started; rm -rf "$bench_state"' EXIT
export TEMPORAL_ADDRESS=127.0.0.1:${BENCH_TEMPORAL_PORT:-7243} TEMPORAL_UI_PORT=${BENCH_TEMPORAL_UI_PORT:-8243}
export TEMPORAL_DB_FILE=$bench_state/temporal.db
find_temporal
export BACKUP_DIR=${BACKUP_DIR:-$DATA/backups}
# Signup to ready without and with the warm pool, each beside CREATE DATABASE
# and beside the least a durable step costs on this Temporal.
"$ROOT/bin/landlord" bench onboarding -n "${BENCH_N1:-30}" -c 1
"$ROOT/bin/landlord" bench onboarding -n "${BENCH_N8:-40}" -c 8
"$ROOT/bin/landlord" bench onboarding -n "${BENCH_N1:-30}" -c 1 -pool
"$ROOT/bin/landlord" bench onboarding -n "${BENCH_N8:-40}" -c 8 -pool
"$ROOT/bin/landlord" bench lifecycle -n "${BENCH_TENANTS:-100000}"
"$ROOT/bin/landlord" bench transactions -tenants 8 -c 16 -n "${BENCH_TX:-20000}"
"$ROOT/bin/landlord" bench fleet -n "${BENCH_FLEET:-1000}" -p 4
