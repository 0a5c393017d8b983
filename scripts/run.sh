#!/usr/bin/env bash
# make run: PostgreSQL, the Temporal dev server and `landlord dev`, in the foreground.
set -euo pipefail
source "$(dirname "$0")/services.sh"
find_postgres
find_temporal
operator_token
export BACKUP_DIR=${BACKUP_DIR:-$DATA/backups}
export METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:9464}
"$ROOT/bin/landlord" dev
