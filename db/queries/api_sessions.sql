-- name: APISessionCreate :exec
INSERT INTO api_sessions (id_sha256, token_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4);

-- name: APISessionAuthenticate :one
-- A live session and its token, as APITokenAuthenticate reads a token.
SELECT t.id, t.token_hash, t.role, t.tenant_id, t.revoked_at, t.created_by, COALESCE(tn.status, '')::text AS tenant_status,
       tn.api_rate_limit_per_hour AS tenant_rate_limit, s.csrf_token, s.expires_at
FROM api_sessions s
JOIN api_tokens t ON t.id = s.token_id
LEFT JOIN tenants tn ON tn.id = t.tenant_id
WHERE s.id_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now();

-- name: APISessionRevoke :exec
UPDATE api_sessions SET revoked_at = now() WHERE id_sha256 = $1 AND revoked_at IS NULL;
