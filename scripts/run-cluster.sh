#!/usr/bin/env bash
# make run-cluster: production's shape on one machine. PostgreSQL and the
# Temporal dev server as for make run, migrations once, then two `landlord
# api` and two `landlord worker` processes, with `landlord proxy` putting the
# APIs behind one address. Ctrl-C stops them all.
set -euo pipefail
source "$(dirname "$0")/services.sh"
find_postgres
find_temporal
operator_token
export BACKUP_DIR=${BACKUP_DIR:-$DATA/backups}
front=${LISTEN_ADDR:-127.0.0.1:8080}
"$ROOT/bin/landlord" migrate
for i in 1 2; do
  LISTEN_ADDR=127.0.0.1:$((8080 + i)) METRICS_ADDR=127.0.0.1:$((9464 + i)) "$ROOT/bin/landlord" api &
  started_pids+=($!)
  METRICS_ADDR=127.0.0.1:$((9466 + i)) "$ROOT/bin/landlord" worker &
  started_pids+=($!)
done
"$ROOT/bin/landlord" proxy -listen "$front" -to http://127.0.0.1:8081,http://127.0.0.1:8082 &
started_pids+=($!)
wait_port "${front%:*}" "${front##*:}" "landlord proxy" 30
echo
echo "landlord API   http://$front (two API processes behind it, two workers)"
echo "operator token in .data/operator-token"
echo "metrics        http://127.0.0.1:9465/metrics … :9468 (APIs, then workers)"
wait
