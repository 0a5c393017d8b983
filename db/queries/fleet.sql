-- name: FleetMigrationInsert :one
-- The target is set by the worker that runs it (FleetMigrationSetTarget).
INSERT INTO fleet_migrations (id, target_version, status, canary, parallel, max_failures, started_by)
VALUES ($1, 0, 'running', $2, $3, $4, $5) RETURNING *;

-- name: FleetMigrationGet :one
SELECT * FROM fleet_migrations WHERE id = $1;

-- name: FleetMigrationOpen :one
SELECT * FROM fleet_migrations WHERE status IN ('running', 'paused');

-- name: FleetMigrationList :many
SELECT * FROM fleet_migrations ORDER BY created_at DESC, id DESC LIMIT sqlc.arg(row_limit);

-- name: FleetMigrationSetStatus :exec
-- A finished rollout's status is final.
UPDATE fleet_migrations SET status = sqlc.arg(status), paused_reason = sqlc.narg(paused_reason),
    finished_at = CASE WHEN sqlc.arg(status) IN ('completed', 'failed', 'aborted') THEN now() END
WHERE id = sqlc.arg(id) AND status IN ('running', 'paused');

-- name: FleetMigrationSetTarget :exec
UPDATE fleet_migrations SET target_version = $2, total = $3 WHERE id = $1;

-- name: FleetMigrationCounts :many
SELECT status, count(*)::int AS n FROM fleet_migration_tenants WHERE fleet_id = $1 GROUP BY status;

-- name: FleetMigrationFailures :many
SELECT tenant_id, error, at FROM fleet_migration_tenants
WHERE fleet_id = $1 AND status = 'failed' ORDER BY at, tenant_id LIMIT sqlc.arg(row_limit);

-- name: FleetTenantsBehind :many
-- Tenant databases not known to be at the target version, after the cursor,
-- in id order: tenants that hold a database and are not being built or dropped.
SELECT t.id, t.database_server_id FROM tenants t
WHERE t.database_name IS NOT NULL AND t.database_server_id IS NOT NULL
  AND t.status NOT IN ('provisioning', 'failed', 'archiving', 'archived')
  AND t.schema_version IS DISTINCT FROM sqlc.arg(target)::bigint
  AND t.id > sqlc.arg(after_id)::uuid
ORDER BY t.id
LIMIT sqlc.arg(row_limit);

-- name: FleetTenantsBehindCount :one
SELECT count(*)::int FROM tenants t
WHERE t.database_name IS NOT NULL AND t.database_server_id IS NOT NULL
  AND t.status NOT IN ('provisioning', 'failed', 'archiving', 'archived')
  AND t.schema_version IS DISTINCT FROM sqlc.arg(target)::bigint;

-- name: FleetTenantRecord :exec
INSERT INTO fleet_migration_tenants (fleet_id, tenant_id, status, from_version, to_version, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (fleet_id, tenant_id) DO UPDATE SET status = excluded.status, from_version = excluded.from_version,
    to_version = excluded.to_version, error = excluded.error, duration_ms = excluded.duration_ms, at = now();

-- name: TenantSetSchemaVersion :exec
UPDATE tenants SET schema_version = $2, schema_migrated_at = now() WHERE id = $1;

-- name: TenantSetServer :exec
UPDATE tenants SET database_server_id = $2, updated_at = now() WHERE id = $1;
