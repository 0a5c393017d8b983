-- name: TenantListTrialsDue :many
-- Trials ending at or before $before whose trial end was not yet started for
-- that end, after the cursor, in index order.
SELECT id, trial_ends_at AS due FROM tenants
WHERE status = 'trial' AND trial_end_started_for IS DISTINCT FROM trial_ends_at AND trial_ends_at <= sqlc.arg(before)
  AND (trial_ends_at, id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY trial_ends_at, id
LIMIT sqlc.arg(row_limit);

-- name: TenantListTrialsOverdue :many
-- Trials that ended at or before $before and are still trials: their trial end
-- stopped or never ran. Normally none.
SELECT id, trial_ends_at AS due FROM tenants
WHERE status = 'trial' AND trial_ends_at <= sqlc.arg(before)
  AND (trial_ends_at, id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY trial_ends_at, id
LIMIT sqlc.arg(row_limit);

-- name: TenantMarkTrialEndStarted :exec
-- Records that the trial end of each tenant runs for its current end (a trial
-- end follows an end that moves while it waits).
UPDATE tenants SET trial_end_started_for = trial_ends_at
WHERE id = ANY(sqlc.arg(ids)::uuid[]) AND status = 'trial';

-- name: TenantListRenewalsDue :many
SELECT id, current_period_end AS due FROM tenants
WHERE status IN ('active', 'past_due') AND current_period_end <= sqlc.arg(before)
  AND (current_period_end, id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY current_period_end, id
LIMIT sqlc.arg(row_limit);

-- name: TenantListGraceOver :many
SELECT id, grace_until AS due FROM tenants
WHERE status = 'past_due' AND grace_until <= sqlc.arg(before)
  AND (grace_until, id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY grace_until, id
LIMIT sqlc.arg(row_limit);

-- name: TenantListSuspendedSince :many
-- Tenants landlord suspended for want of payment (never an operator's
-- suspension) since before a cutoff.
SELECT id, suspended_at AS due FROM tenants
WHERE status = 'suspended' AND suspension_reason IN ('payment_overdue', 'trial_expired') AND suspended_at <= sqlc.arg(before)
  AND (suspended_at, id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY suspended_at, id
LIMIT sqlc.arg(row_limit);

-- name: TenantSetStatus :one
-- The one write of a status change that moves nothing else: only from the
-- status the caller read under the row lock (the lifecycle table, mirrored by
-- a trigger, decides which moves exist). A suspended tenant keeps the time it
-- was suspended if it is cancelled.
UPDATE tenants
SET status = sqlc.arg(status),
    suspension_reason = sqlc.narg(suspension_reason),
    resume_status = sqlc.narg(resume_status),
    suspended_at = CASE WHEN sqlc.arg(status) = 'suspended' THEN now()
                        WHEN sqlc.arg(status) = 'cancelled' THEN suspended_at END,
    grace_until = sqlc.narg(grace_until),
    cancelled_at = CASE WHEN sqlc.arg(status) = 'cancelled' THEN now() ELSE cancelled_at END,
    updated_at = now()
WHERE id = sqlc.arg(id) AND status = sqlc.arg(from_status)
RETURNING *;

-- name: TenantSetGrace :one
UPDATE tenants SET grace_until = $2, updated_at = now() WHERE id = $1 AND status = 'past_due' RETURNING *;

-- name: TenantRenewPeriod :one
-- Starts the next period: the pending plan (if any) with its limits, only if
-- the period still ends where the renewal found it.
UPDATE tenants t
SET plan_code = p.plan_code, billing_cycle = sqlc.arg(billing_cycle),
    max_companies = p.max_companies, max_users_per_company = p.max_users_per_company,
    max_total_users = p.max_total_users, max_transactions_per_month = p.max_transactions_per_month,
    max_storage_gb = p.max_storage_gb, api_rate_limit_per_hour = p.api_rate_limit_per_hour,
    features = p.features, modules_enabled = p.modules,
    status = CASE WHEN t.status = 'trial' THEN 'active' ELSE t.status END,
    current_period_start = sqlc.arg(period_start), current_period_end = sqlc.arg(period_end),
    pending_plan_code = NULL, pending_billing_cycle = NULL, updated_at = now()
FROM subscription_plans p
WHERE t.id = sqlc.arg(id) AND p.plan_code = sqlc.arg(plan_code)
RETURNING t.*;

-- name: PlanCheapestPaid :one
SELECT * FROM subscription_plans WHERE is_active AND monthly_price_cents > 0 ORDER BY monthly_price_cents, plan_code LIMIT 1;

-- name: InvoiceCountOpenByTenant :one
SELECT count(*)::int FROM invoices WHERE tenant_id = $1 AND status IN ('draft', 'open');

-- name: InvoiceSumOpenByTenant :one
SELECT COALESCE(sum(total_cents), 0)::bigint FROM invoices WHERE tenant_id = $1 AND status IN ('draft', 'open');

-- name: TenantBackupInsert :one
INSERT INTO tenant_backups (tenant_id, database_name, path, size_bytes, sha256, verified_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
RETURNING *;

-- name: TenantBackupList :many
SELECT * FROM tenant_backups WHERE tenant_id = $1 ORDER BY created_at DESC;

-- name: TenantArchive :one
UPDATE tenants SET status = 'archived', database_server_id = NULL, database_password_enc = NULL, updated_at = now()
WHERE id = $1 AND status = 'archiving'
RETURNING *;

-- name: TenantLockAccess :exec
-- Serialises changes to one tenant's database access for the transaction.
SELECT pg_advisory_xact_lock(hashtext('landlord.access/' || sqlc.arg(tenant_id)::text));

-- name: TenantListTransitions :many
-- The status changes the database allows.
SELECT from_status, to_status FROM tenant_status_transitions ORDER BY from_status, to_status;

-- name: InvoiceListUncollected :many
-- Tenants with a period invoice whose collection stopped before it could end,
-- created before a cutoff: still draft (never finalized), or open while the
-- tenant is active (neither paid nor past due). Paged by (period start, tenant).
SELECT i.tenant_id AS id, i.period_start AS due FROM invoices i JOIN tenants t ON t.id = i.tenant_id
WHERE i.status IN ('draft', 'open') AND i.idempotency_key LIKE 'period/%'
  AND (i.status = 'draft' OR t.status = 'active') AND t.status IN ('active', 'past_due')
  AND i.created_at <= sqlc.narg(before)::timestamptz
  AND (i.period_start, i.tenant_id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY i.period_start, i.tenant_id
LIMIT sqlc.arg(row_limit);

-- name: TenantSetTrialEnd :one
-- Moves a trial's end (an operator extending it, or ending it now).
UPDATE tenants SET trial_ends_at = $2, updated_at = now() WHERE id = $1 AND status = 'trial' RETURNING *;

-- name: TenantListProvisioningSince :many
-- Tenants registered at or before $before and still provisioning: their
-- onboarding runs slowly, or never started.
SELECT id, created_at AS due FROM tenants
WHERE status = 'provisioning' AND created_at <= sqlc.arg(before)
  AND (created_at, id) > (sqlc.arg(after_due)::timestamptz, sqlc.arg(after_id)::uuid)
ORDER BY created_at, id
LIMIT sqlc.arg(row_limit);
