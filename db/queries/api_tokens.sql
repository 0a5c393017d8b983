-- name: APITokenInsert :one
INSERT INTO api_tokens (token_hash, prefix, role, tenant_id, name, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (token_hash) DO UPDATE SET token_hash = EXCLUDED.token_hash
RETURNING id;

-- name: APITokenAuthenticate :one
SELECT t.id, t.token_hash, t.role, t.tenant_id, t.revoked_at, t.created_by, COALESCE(tn.status, '')::text AS tenant_status,
       tn.api_rate_limit_per_hour AS tenant_rate_limit
FROM api_tokens t
LEFT JOIN tenants tn ON tn.id = t.tenant_id
WHERE t.token_hash = $1;

-- name: APITokenTouch :exec
UPDATE api_tokens SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: APITokenRevokeForTenant :exec
UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL;

-- name: APITokenRevoke :one
-- Revokes a token; a tenant-scoped caller may only revoke its own tenant's.
UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now())
WHERE id = sqlc.arg(id) AND (sqlc.narg(tenant_id)::uuid IS NULL OR tenant_id = sqlc.narg(tenant_id))
RETURNING id, role, tenant_id, revoked_at;

-- name: APITokenGetForActor :one
-- The token an actor names, to check that a workflow's actor is real.
SELECT role, tenant_id, revoked_at FROM api_tokens WHERE id = $1;
