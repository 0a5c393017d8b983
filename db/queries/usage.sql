-- name: TenantListLive :many
SELECT id, created_at FROM tenants
WHERE status IN ('trial', 'active', 'past_due')
  AND (created_at, id) > (sqlc.arg(after_created)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY created_at, id
LIMIT sqlc.arg(row_limit);

-- name: TenantUsageUpsert :exec
INSERT INTO tenant_usage (tenant_id, month, companies, users, max_users_per_company_used, transactions, storage_bytes, write_mark, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
ON CONFLICT (tenant_id, month) DO UPDATE
SET companies = EXCLUDED.companies, users = EXCLUDED.users, max_users_per_company_used = EXCLUDED.max_users_per_company_used,
    transactions = EXCLUDED.transactions, storage_bytes = EXCLUDED.storage_bytes, write_mark = EXCLUDED.write_mark, updated_at = now();

-- name: TenantUsageSetStorage :exec
-- A snapshot whose database was not written to since: only its size is new.
UPDATE tenant_usage SET storage_bytes = $3, updated_at = now() WHERE tenant_id = $1 AND month = $2;

-- name: TenantUsagePage :many
-- A page of tenants for the usage sweep: each placed one, where its database
-- is, and its snapshot of the month if it has one.
SELECT sqlc.embed(t), s.host AS server_host, s.port AS server_port,
       (u.tenant_id IS NOT NULL)::bool AS measured,
       COALESCE(u.companies, 0)::int AS companies, COALESCE(u.users, 0)::int AS users,
       COALESCE(u.max_users_per_company_used, 0)::int AS max_users_per_company_used,
       COALESCE(u.transactions, 0)::bigint AS transactions, COALESCE(u.storage_bytes, 0)::bigint AS storage_bytes, u.write_mark
FROM tenants t
JOIN database_servers s ON s.id = t.database_server_id
LEFT JOIN tenant_usage u ON u.tenant_id = t.id AND u.month = sqlc.arg(month)::date
WHERE t.id = ANY(sqlc.arg(ids)::uuid[]);

-- name: AlertInsert :execrows
-- A rule fires once per tenant and period: a second insert is a no-op.
INSERT INTO alerts (tenant_id, rule, period, details) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, rule, period) DO NOTHING;

-- name: AlertList :many
SELECT * FROM alerts
WHERE (sqlc.narg(tenant_id)::uuid IS NULL OR tenant_id = sqlc.narg(tenant_id))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);
