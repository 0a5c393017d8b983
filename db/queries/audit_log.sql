-- name: AuditInsert :exec
INSERT INTO audit_log (tenant_id, actor, action, details) VALUES ($1, $2, $3, $4);

-- name: AuditListByTenant :many
SELECT * FROM audit_log
WHERE tenant_id = $1 AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
ORDER BY id DESC
LIMIT sqlc.arg(row_limit);
