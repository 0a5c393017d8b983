-- name: TenantInsert :execrows
-- Registers a tenant; a second call with the same id changes nothing.
INSERT INTO tenants (
    id, tenant_code, tenant_name, subdomain, status, plan_code, billing_cycle,
    max_companies, max_users_per_company, max_total_users, max_transactions_per_month,
    max_storage_gb, api_rate_limit_per_hour, features, modules_enabled,
    admin_email, admin_name, phone, billing_email
)
SELECT sqlc.arg(id), sqlc.arg(tenant_code), sqlc.arg(tenant_name), sqlc.arg(subdomain), 'provisioning',
       p.plan_code, sqlc.arg(billing_cycle),
       p.max_companies, p.max_users_per_company, p.max_total_users, p.max_transactions_per_month,
       p.max_storage_gb, p.api_rate_limit_per_hour, p.features, p.modules,
       sqlc.arg(admin_email), sqlc.arg(admin_name), sqlc.narg(phone), sqlc.arg(admin_email)
FROM subscription_plans p
WHERE p.plan_code = sqlc.arg(plan_code)
ON CONFLICT (id) DO NOTHING;

-- name: TenantGet :one
SELECT * FROM tenants WHERE id = $1;

-- name: TenantGetForUpdate :one
SELECT * FROM tenants WHERE id = $1 FOR UPDATE;

-- name: TenantList :many
-- Newest first, keyset-paginated on (created_at, id) so a page costs the same at any depth.
SELECT * FROM tenants
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(plan_code)::text IS NULL OR plan_code = sqlc.narg(plan_code))
  AND (sqlc.narg(before_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: TenantSetPlacement :execrows
UPDATE tenants
SET database_server_id = $2, database_name = $3, database_role = $4, updated_at = now()
WHERE id = $1 AND database_server_id IS NULL;

-- name: TenantSetDatabasePassword :execrows
-- First writer wins: a retried activity keeps the password that was stored first.
UPDATE tenants SET database_password_enc = $2, updated_at = now()
WHERE id = $1 AND database_password_enc IS NULL;

-- name: TenantSetBillingCustomer :exec
UPDATE tenants SET billing_customer_id = $2, updated_at = now() WHERE id = $1;

-- name: TenantStartTrial :one
UPDATE tenants
SET status = 'trial', trial_ends_at = $2, onboarding_completed = true, updated_at = now()
WHERE id = $1 AND status = 'provisioning'
RETURNING *;

-- name: TenantActivate :one
UPDATE tenants
SET status = 'active', current_period_start = $2, current_period_end = $3,
    onboarding_completed = true, updated_at = now()
WHERE id = $1 AND status = 'provisioning'
RETURNING *;

-- name: TenantMarkFailed :one
UPDATE tenants
SET status = 'failed', onboarding_error = $2, database_server_id = NULL, database_name = NULL,
    database_role = NULL, database_password_enc = NULL, billing_customer_id = NULL, updated_at = now()
WHERE id = $1 AND status = 'provisioning'
RETURNING *;
