-- name: TenantListLive :many
SELECT id, created_at FROM tenants
WHERE status IN ('trial', 'active', 'past_due')
  AND (created_at, id) > (sqlc.arg(after_created)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY created_at, id
LIMIT sqlc.arg(row_limit);

-- name: TenantUsageUpsert :exec
INSERT INTO tenant_usage (tenant_id, month, companies, users, max_users_per_company_used, transactions, storage_bytes, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (tenant_id, month) DO UPDATE
SET companies = EXCLUDED.companies, users = EXCLUDED.users, max_users_per_company_used = EXCLUDED.max_users_per_company_used,
    transactions = EXCLUDED.transactions, storage_bytes = EXCLUDED.storage_bytes, updated_at = now();

-- name: AlertInsert :execrows
-- A rule fires once per tenant and period: a second insert is a no-op.
INSERT INTO alerts (tenant_id, rule, period, details) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, rule, period) DO NOTHING;

-- name: AlertList :many
SELECT * FROM alerts
WHERE (sqlc.narg(tenant_id)::uuid IS NULL OR tenant_id = sqlc.narg(tenant_id))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);
