-- name: DatabaseServerUpsert :one
INSERT INTO database_servers (name, host, port, kind, max_tenants)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO UPDATE SET host = EXCLUDED.host, port = EXCLUDED.port
RETURNING *;

-- name: DatabaseServerCreate :one
-- An operator's server starts pending: it takes no tenant until a check passes.
INSERT INTO database_servers (name, host, port, kind, max_tenants, status, admin_user, admin_password_enc, tls)
VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8)
RETURNING *;

-- name: DatabaseServerRecordCheck :one
-- A passed check makes a pending server active; a failed one keeps it pending with the reason.
UPDATE database_servers
SET checked_at = now(), check_error = sqlc.narg(check_error),
    status = CASE WHEN sqlc.narg(check_error)::text IS NULL AND status = 'pending' THEN 'active' ELSE status END
WHERE id = $1
RETURNING *;

-- name: DatabaseServerLogin :one
-- How landlord logs in to the server at host:port.
SELECT admin_user, admin_password_enc, tls FROM database_servers WHERE host = $1 AND port = $2;

-- name: DatabaseServerGet :one
SELECT * FROM database_servers WHERE id = $1;

-- name: DatabaseServerList :many
SELECT s.*,
       (SELECT count(*) FROM tenants t
         WHERE t.database_server_id = s.id AND t.status NOT IN ('failed', 'archived'))::int AS tenant_count
FROM database_servers s
ORDER BY s.name;

-- name: DatabaseServerLock :exec
-- Serialises placement decisions so two onboardings never both take the last slot.
SELECT pg_advisory_xact_lock(hashtext('landlord.placement'));

-- name: DatabaseServerPick :one
-- The active server of the wanted kind with the fewest live tenants and room left;
-- a dedicated server is only picked while it holds no tenant.
SELECT s.*
FROM database_servers s
CROSS JOIN LATERAL (
    SELECT count(*)::int AS n FROM tenants t
     WHERE t.database_server_id = s.id AND t.status NOT IN ('failed', 'archived')
) live
WHERE s.status = 'active'
  AND s.kind = sqlc.arg(kind)
  AND live.n < s.max_tenants
  AND (s.kind = 'shared' OR live.n = 0)
ORDER BY live.n, s.name
LIMIT 1;

-- name: DatabaseServerGetByName :one
SELECT * FROM database_servers WHERE name = $1;

-- name: DatabaseServerStartDraining :one
-- A server being drained takes no new tenant (placement picks active ones only).
UPDATE database_servers SET status = 'draining' WHERE id = $1 AND status IN ('active', 'draining') RETURNING *;

-- name: TenantsToDrain :many
-- The tenants whose database is on a server, after the cursor, in id order:
-- those a move can take (not being built or dropped).
SELECT id FROM tenants
WHERE database_server_id = sqlc.arg(server_id) AND database_name IS NOT NULL
  AND status IN ('trial', 'active', 'past_due', 'suspended', 'cancelled')
  AND id > sqlc.arg(after_id)::uuid
ORDER BY id LIMIT sqlc.arg(row_limit);
