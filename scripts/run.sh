#!/usr/bin/env bash
# make run: PostgreSQL, the Temporal dev server and `landlord dev`, in the foreground.
set -euo pipefail
source "$(dirname "$0")/services.sh"
find_postgres
find_temporal
if [ -z "${LANDLORD_OPERATOR_TOKEN:-}" ]; then
  # One operator token per checkout, kept across restarts.
  [ -s "$DATA/operator-token" ] || (umask 077 && echo "llo_$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 43)" >"$DATA/operator-token")
  chmod 600 "$DATA/operator-token"
  export LANDLORD_OPERATOR_TOKEN=$(cat "$DATA/operator-token")
fi
export BACKUP_DIR=${BACKUP_DIR:-$DATA/backups}
export METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:9464}
"$ROOT/bin/landlord" dev
