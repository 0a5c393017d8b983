#!/usr/bin/env bash
# Validates docker-compose.yml as far as a machine without a Docker engine allows.
set -euo pipefail
cd "$(dirname "$0")/.."
# The file insists on a real key at run time; any value does for checking its shape.
export LANDLORD_SECRET_KEY=${LANDLORD_SECRET_KEY:-placeholder-for-checking-the-compose-file}
export GRAFANA_ADMIN_PASSWORD=${GRAFANA_ADMIN_PASSWORD:-placeholder-for-checking-the-compose-file}
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1 \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing docker-compose (Debian package) to validate the compose file"
  { apt-get install -y -qq docker-compose || { apt-get update -qq && apt-get install -y -qq docker-compose; }; } >/dev/null
fi
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q
elif command -v docker-compose >/dev/null 2>&1; then
  docker-compose -f docker-compose.yml config -q
else
  echo "docker-compose.yml not validated: neither 'docker compose' nor docker-compose is installed (apt-get install docker-compose)" >&2
  exit 1
fi
echo "docker-compose.yml is valid"
