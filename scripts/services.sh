# Sourced by run.sh and bench.sh: finds or starts PostgreSQL and a Temporal dev
# server, exporting DATABASE_URL and TEMPORAL_ADDRESS. State lives in .data/
# (LANDLORD_DATA elsewhere).
# Whatever this script starts is stopped when the calling script exits.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA="${LANDLORD_DATA:-$ROOT/.data}"
mkdir -p "$DATA"
started_pids=()
stop_started() {
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${PRIVATE_PG:-}" ]; then "${runas[@]}" "$PG_BIN/pg_ctl" -D "$DATA/pg" -m fast stop >/dev/null 2>&1 || true; fi
}
trap stop_started EXIT

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port what seconds
  for _ in $(seq 1 $(($4 * 10))); do port_open "$1" "$2" && return 0; sleep 0.1; done
  echo "$3 did not come up on $1:$2" >&2
  return 1
}

# landlord runs as landlord_app (created by `landlord migrate`); migrations and
# tenant provisioning use the owner.
runtime_and_owner() { # port [owner password] [runtime password]
  export MIGRATE_DATABASE_URL="postgres://postgres${2:+:$2}@127.0.0.1:$1/${LANDLORD_DB:-landlord}?sslmode=disable"
  export DATABASE_URL="postgres://landlord_app${3:+:$3}@127.0.0.1:$1/${LANDLORD_DB:-landlord}?sslmode=disable"
}

# operator_token: LANDLORD_OPERATOR_TOKEN, or one per checkout kept in .data/operator-token (0600).
operator_token() {
  if [ -z "${LANDLORD_OPERATOR_TOKEN:-}" ]; then
    [ -s "$DATA/operator-token" ] || (umask 077 && echo "llo_$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 43)" >"$DATA/operator-token")
    chmod 600 "$DATA/operator-token"
    export LANDLORD_OPERATOR_TOKEN=$(cat "$DATA/operator-token")
  fi
}

# secret_file FILE: a random password kept in FILE, readable by its user only.
secret_file() {
  [ -s "$1" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$1")
  chmod 600 "$1"
  cat "$1"
}

find_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "PostgreSQL: DATABASE_URL"
  elif port_open 127.0.0.1 5432; then
    runtime_and_owner 5432
    echo "PostgreSQL: 127.0.0.1:5432"
  else
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
      echo "No PostgreSQL found: set DATABASE_URL, run one on 127.0.0.1:5432, or install PostgreSQL's server binaries" >&2
      exit 1
    fi
    local port=${PRIVATE_PG_PORT:-55432}
    runas=() # the cluster runs as postgres when we are root
    [ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)
    # Passwords, not trust: any local user can reach 127.0.0.1.
    local owner_pw app_pw
    owner_pw=$(secret_file "$DATA/pg-owner-password")
    app_pw=$(secret_file "$DATA/pg-app-password")
    if [ ! -d "$DATA/pg" ]; then
      echo "PostgreSQL: creating a private cluster in .data/pg"
      mkdir -p "$DATA/pg" && [ "$(id -u)" = 0 ] && chown postgres "$DATA" "$DATA/pg"
      local pwfile="$DATA/pg-initdb-pw"
      (umask 077 && printf '%s\n' "$owner_pw" >"$pwfile") && [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
      "${runas[@]}" "$PG_BIN/initdb" -D "$DATA/pg" -U postgres --auth=scram-sha-256 --pwfile="$pwfile" >/dev/null
      rm -f "$pwfile"
    fi
    # Its socket lives in a folder only the cluster's owner may enter.
    mkdir -p -m 0700 "$DATA/pg-socket" && [ "$(id -u)" = 0 ] && chown postgres "$DATA/pg-socket"
    # A cluster left running by a run that was killed is taken over, not started twice.
    if ! "${runas[@]}" "$PG_BIN/pg_ctl" -D "$DATA/pg" status >/dev/null 2>&1; then
      "${runas[@]}" "$PG_BIN/pg_ctl" -D "$DATA/pg" -l "$DATA/pg.log" -o "-p $port -k $DATA/pg-socket -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    PRIVATE_PG=1
    wait_port 127.0.0.1 "$port" PostgreSQL 30
    # The owner gets its password (a cluster made when this script still
    # trusted everyone gets it too), then only passwords are accepted;
    # `landlord migrate` gives landlord_app the one in DATABASE_URL.
    PGPASSWORD=$owner_pw "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -v owner="$owner_pw" >/dev/null <<<"SELECT format('ALTER ROLE postgres PASSWORD %L', :'owner') \gexec"
    printf 'local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n' | "${runas[@]}" tee "$DATA/pg/pg_hba.conf" >/dev/null
    "${runas[@]}" "$PG_BIN/pg_ctl" -D "$DATA/pg" reload >/dev/null
    runtime_and_owner "$port" "$owner_pw" "$app_pw"
    echo "PostgreSQL: private cluster on 127.0.0.1:$port"
  fi
}

find_temporal() { # TEMPORAL_STATE=memory keeps nothing; TEMPORAL_DB_FILE is where its state is kept otherwise
  export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
  local host=${TEMPORAL_ADDRESS%:*} port=${TEMPORAL_ADDRESS##*:} ui=${TEMPORAL_UI_PORT:-8233}
  # The Web UI decodes landlord's sealed payloads through landlord's codec
  # endpoint, with a key of this checkout's (decoding only, audited).
  export CODEC_KEY=${CODEC_KEY:-$(secret_file "$DATA/codec-key")}
  export CODEC_CORS_ORIGINS=${CODEC_CORS_ORIGINS:-http://$host:$ui,http://localhost:$ui}
  local codec="http://${LISTEN_ADDR:-127.0.0.1:8080}/codec/k/$CODEC_KEY"
  if port_open "$host" "$port"; then
    echo "Temporal: $TEMPORAL_ADDRESS (already running)"
    return
  fi
  # SQLite in write-ahead-log mode, synced at checkpoints: a killed server
  # loses nothing (only a crash of the machine itself may lose the last
  # moments), and each workflow task costs a third of the default's
  # rollback journal, synced at every commit (`make bench` shows both).
  local state=(--db-filename "${TEMPORAL_DB_FILE:-$DATA/temporal.db}"
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)
  [ "${TEMPORAL_STATE:-}" = memory ] && state=()
  # Eager activity execution hands an activity to the worker that scheduled it
  # without a round trip through matching: half the onboarding latency.
  "$ROOT/bin/temporal" server start-dev --ip "$host" --port "$port" --ui-port "$ui" "${state[@]}" --log-level warn \
    --ui-codec-endpoint "$codec" \
    --dynamic-config-value system.enableActivityEagerExecution=true >"$DATA/temporal-$port.log" 2>&1 &
  started_pids+=($!)
  wait_port "$host" "$port" "Temporal dev server" 60
  echo "Temporal: dev server on $TEMPORAL_ADDRESS, Web UI http://$host:$ui"
}
