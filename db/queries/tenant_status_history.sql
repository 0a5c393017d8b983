-- name: TenantStatusHistoryInsert :exec
INSERT INTO tenant_status_history (tenant_id, from_status, to_status, reason, actor)
VALUES ($1, $2, $3, $4, $5);

-- name: TenantStatusHistoryList :many
SELECT * FROM tenant_status_history WHERE tenant_id = $1 ORDER BY id;
