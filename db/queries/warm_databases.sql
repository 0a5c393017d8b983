-- name: WarmDatabaseInsert :exec
-- A pooled database about to be built (ready_at is set once it is).
INSERT INTO warm_databases (id, database_server_id, template_version, template_digest, password_enc)
VALUES ($1, $2, $3, $4, $5);

-- name: WarmDatabaseReady :exec
UPDATE warm_databases SET ready_at = now(), build_ms = sqlc.arg(build_ms) WHERE id = $1;

-- name: WarmDatabaseClaim :one
-- Takes the oldest ready database of the server built from the server's
-- current template for the tenant; SKIP LOCKED lets concurrent claims take
-- different rows, and claimed_by's unique key gives a tenant one at most.
UPDATE warm_databases w SET claimed_by = sqlc.arg(tenant_id), claimed_at = now()
WHERE w.id = (
    SELECT p.id FROM warm_databases p JOIN database_servers s ON s.id = p.database_server_id
    WHERE p.database_server_id = sqlc.arg(database_server_id)
      AND p.ready_at IS NOT NULL AND p.claimed_by IS NULL
      AND p.template_version = s.template_version AND p.template_digest = s.template_digest
    ORDER BY p.created_at
    LIMIT 1
    FOR UPDATE OF p SKIP LOCKED)
  AND w.claimed_by IS NULL
RETURNING w.*;

-- name: WarmDatabaseOfTenant :one
SELECT * FROM warm_databases WHERE claimed_by = $1;

-- name: WarmDatabasesUnclaimed :many
-- A server's unclaimed pooled databases, oldest first, built or being built.
SELECT * FROM warm_databases
WHERE database_server_id = $1 AND claimed_by IS NULL
ORDER BY created_at;

-- name: WarmDatabaseDelete :exec
DELETE FROM warm_databases WHERE id = $1 AND claimed_by IS NULL;

-- name: WarmPoolStats :many
-- Each server's pool: ready and building databases, and the claims and
-- misses (tenants placed there and given a new database) since a time.
SELECT s.id, s.name, s.status,
       (SELECT count(*) FROM warm_databases w WHERE w.database_server_id = s.id AND w.claimed_by IS NULL
           AND w.ready_at IS NOT NULL AND w.template_version = s.template_version
           AND w.template_digest = s.template_digest)::int AS ready,
       (SELECT count(*) FROM warm_databases w WHERE w.database_server_id = s.id AND w.claimed_by IS NULL
           AND w.ready_at IS NULL)::int AS building,
       (SELECT count(*) FROM warm_databases w WHERE w.database_server_id = s.id
           AND w.claimed_at >= sqlc.arg(since))::int AS hits,
       (SELECT count(*) FROM tenants t WHERE t.database_server_id = s.id AND t.created_at >= sqlc.arg(since)
           AND t.database_name IS NOT NULL
           AND NOT EXISTS (SELECT FROM warm_databases w WHERE w.claimed_by = t.id))::int AS misses,
       coalesce((SELECT avg(w.build_ms) FROM warm_databases w WHERE w.database_server_id = s.id
           AND w.ready_at >= sqlc.arg(since)), 0)::float8 AS avg_build_ms
FROM database_servers s
ORDER BY s.name;

-- name: DatabaseServerSetTemplate :exec
-- The template a server's databases are cloned from now, as the worker that built or checked it found it.
UPDATE database_servers SET template_version = sqlc.arg(version), template_digest = sqlc.arg(digest)
WHERE host = sqlc.arg(host) AND port = sqlc.arg(port);

-- name: DatabaseServerGetByAddress :one
SELECT * FROM database_servers WHERE host = $1 AND port = $2;
