-- name: TenantInsert :execrows
-- Registers a tenant; a second call with the same id changes nothing.
INSERT INTO tenants (
    id, tenant_code, tenant_name, subdomain, status, plan_code, billing_cycle,
    max_companies, max_users_per_company, max_total_users, max_transactions_per_month,
    max_storage_gb, api_rate_limit_per_hour, features, modules_enabled,
    admin_email, admin_name, phone, billing_email, request_sha256, email_verified_at, phone_verified_at
)
SELECT sqlc.arg(id), sqlc.arg(tenant_code), sqlc.arg(tenant_name), sqlc.arg(subdomain), 'provisioning',
       p.plan_code, sqlc.arg(billing_cycle),
       p.max_companies, p.max_users_per_company, p.max_total_users, p.max_transactions_per_month,
       p.max_storage_gb, p.api_rate_limit_per_hour, p.features, p.modules,
       sqlc.arg(admin_email), sqlc.arg(admin_name), sqlc.narg(phone), sqlc.arg(admin_email), sqlc.narg(request_sha256),
       CASE WHEN sqlc.arg(contacts_vouched)::bool THEN now() END,
       CASE WHEN sqlc.arg(contacts_vouched)::bool AND sqlc.narg(phone)::text IS NOT NULL THEN now() END
FROM subscription_plans p
WHERE p.plan_code = sqlc.arg(plan_code)
ON CONFLICT (id) DO NOTHING;

-- name: TenantGet :one
SELECT * FROM tenants WHERE id = $1;

-- name: TenantGetForUpdate :one
SELECT * FROM tenants WHERE id = $1 FOR UPDATE;

-- name: TenantList :many
-- Newest first, keyset-paginated on (created_at, id) so a page costs the same at any depth.
-- search is a LIKE pattern matched against the name, subdomain and admin email, case-insensitively.
SELECT * FROM tenants
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(plan_code)::text IS NULL OR plan_code = sqlc.narg(plan_code))
  AND (sqlc.narg(server_name)::text IS NULL
       OR database_server_id = (SELECT s.id FROM database_servers s WHERE s.name = sqlc.narg(server_name)))
  AND (sqlc.narg(search)::text IS NULL
       OR tenant_name ILIKE sqlc.narg(search) OR subdomain ILIKE sqlc.narg(search) OR admin_email ILIKE sqlc.narg(search))
  AND (sqlc.narg(before_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_created_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: TenantListByName :many
-- By name A to Z, keyset-paginated on (lower(tenant_name), id); the same filters as TenantList.
SELECT * FROM tenants
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(plan_code)::text IS NULL OR plan_code = sqlc.narg(plan_code))
  AND (sqlc.narg(server_name)::text IS NULL
       OR database_server_id = (SELECT s.id FROM database_servers s WHERE s.name = sqlc.narg(server_name)))
  AND (sqlc.narg(search)::text IS NULL
       OR tenant_name ILIKE sqlc.narg(search) OR subdomain ILIKE sqlc.narg(search) OR admin_email ILIKE sqlc.narg(search))
  AND (sqlc.narg(after_name)::text IS NULL
       OR (lower(tenant_name), id) > (sqlc.narg(after_name)::text, sqlc.narg(after_id)::uuid))
ORDER BY lower(tenant_name), id
LIMIT sqlc.arg(row_limit);

-- name: TenantCount :one
-- How many tenants the list's filters match, for paging.
SELECT count(*)::int FROM tenants
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(plan_code)::text IS NULL OR plan_code = sqlc.narg(plan_code))
  AND (sqlc.narg(server_name)::text IS NULL
       OR database_server_id = (SELECT s.id FROM database_servers s WHERE s.name = sqlc.narg(server_name)))
  AND (sqlc.narg(search)::text IS NULL
       OR tenant_name ILIKE sqlc.narg(search) OR subdomain ILIKE sqlc.narg(search) OR admin_email ILIKE sqlc.narg(search));

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

-- name: TenantHoldBilling :one
-- Holds the tenant's billing for a plan change quoted against version: no
-- renewal or trial end starts while the hold lasts. Only from that version, and
-- only if no other hold is in force; taking one's own hold again is fine.
UPDATE tenants
SET billing_hold = sqlc.arg(hold), billing_hold_until = sqlc.arg(hold_until)
WHERE id = sqlc.arg(id) AND billing_version = sqlc.arg(version)
  AND (billing_hold IS NULL OR billing_hold = sqlc.arg(hold) OR billing_hold_until <= now())
RETURNING *;

-- name: TenantReleaseBilling :exec
UPDATE tenants SET billing_hold = NULL, billing_hold_until = NULL WHERE id = $1 AND billing_hold = $2;

-- name: TenantApplyPlan :one
-- Moves a tenant to a plan and cycle with that plan's limits, only under the
-- change's own hold and at the version the change was quoted against; no row
-- means something else changed the tenant's billing.
UPDATE tenants t
SET plan_code = p.plan_code, billing_cycle = sqlc.arg(billing_cycle),
    max_companies = p.max_companies, max_users_per_company = p.max_users_per_company,
    max_total_users = p.max_total_users, max_transactions_per_month = p.max_transactions_per_month,
    max_storage_gb = p.max_storage_gb, api_rate_limit_per_hour = p.api_rate_limit_per_hour,
    features = p.features, modules_enabled = p.modules,
    status = sqlc.arg(status), trial_ends_at = sqlc.narg(trial_ends_at),
    current_period_start = sqlc.narg(current_period_start), current_period_end = sqlc.narg(current_period_end),
    credit_balance_cents = t.credit_balance_cents + sqlc.arg(credit_delta_cents),
    pending_plan_code = NULL, pending_billing_cycle = NULL,
    billing_hold = NULL, billing_hold_until = NULL, billing_applied = sqlc.arg(hold), updated_at = now()
FROM subscription_plans p
WHERE t.id = sqlc.arg(id) AND p.plan_code = sqlc.arg(plan_code)
  AND t.billing_version = sqlc.arg(version) AND t.billing_hold = sqlc.arg(hold)
RETURNING t.*;

-- name: TenantSchedulePlan :one
UPDATE tenants SET pending_plan_code = $2, pending_billing_cycle = $3, updated_at = now()
WHERE id = $1 AND status IN ('trial', 'active', 'past_due')
RETURNING *;

-- name: TenantSetPaymentMethod :one
UPDATE tenants SET payment_method = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: TenantUseCredit :one
-- Takes up to max_cents from the credit balance and returns what was taken.
WITH b AS (
    SELECT tb.id AS tenant_id, tb.credit_balance_cents AS before FROM tenants tb WHERE tb.id = sqlc.arg(tenant_id) FOR UPDATE
)
UPDATE tenants t
SET credit_balance_cents = b.before - LEAST(b.before, sqlc.arg(max_cents)::bigint), updated_at = now()
FROM b WHERE t.id = b.tenant_id
RETURNING LEAST(b.before, sqlc.arg(max_cents)::bigint)::bigint AS taken;

-- name: TenantAddCredit :exec
UPDATE tenants SET credit_balance_cents = credit_balance_cents + $2, updated_at = now() WHERE id = $1;

-- name: TenantConnInfo :one
-- What a tenant-API request needs: the tenant, where its database is, and the
-- storage its last usage snapshot saw.
SELECT t.id, t.plan_code, t.status, t.database_name, t.database_password_enc,
       t.max_companies, t.max_users_per_company, t.max_total_users, t.max_transactions_per_month, t.max_storage_gb,
       s.host, s.port, COALESCE(u.storage_bytes, 0)::bigint AS storage_bytes
FROM tenants t
JOIN database_servers s ON s.id = t.database_server_id
LEFT JOIN tenant_usage u ON u.tenant_id = t.id AND u.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
WHERE t.id = $1;

-- name: TenantSettleLostChange :exec
-- A paid plan change that could not be applied: what was paid becomes credit, once.
UPDATE tenants
SET credit_balance_cents = credit_balance_cents + sqlc.arg(credit_cents), billing_hold = NULL, billing_hold_until = NULL,
    billing_applied = sqlc.arg(billing_applied), updated_at = now()
WHERE id = sqlc.arg(id);

-- name: TenantLimits :one
-- The limits in force, read by a tenant write once it holds its lock.
SELECT max_companies, max_users_per_company, max_total_users FROM tenants WHERE id = $1;
