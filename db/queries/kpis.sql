-- name: KPIPayingAt :one
-- Tenants paying (active or past due) at an instant, by the status history,
-- and their monthly recurring revenue: annual plans count as a twelfth.
WITH s AS (
    SELECT DISTINCT ON (h.tenant_id) h.tenant_id, h.to_status
    FROM tenant_status_history h WHERE h.created_at < sqlc.arg(at)
    ORDER BY h.tenant_id, h.created_at DESC, h.id DESC
)
SELECT count(*)::int AS paying,
       COALESCE(round(sum(CASE WHEN t.billing_cycle = 'annual' THEN p.annual_price_cents::numeric / 12
                               ELSE p.monthly_price_cents END)), 0)::bigint AS mrr_cents
FROM s
JOIN tenants t ON t.id = s.tenant_id
JOIN subscription_plans p ON p.plan_code = t.plan_code
WHERE s.to_status IN ('active', 'past_due');

-- name: KPITransitions :one
-- Transitions in [month_start, month_end), and new tenants in the month before.
SELECT
    count(*) FILTER (WHERE from_status = 'provisioning' AND to_status IN ('trial', 'active')
                     AND created_at >= sqlc.arg(month_start))::int AS new_tenants,
    count(*) FILTER (WHERE from_status = 'provisioning' AND to_status IN ('trial', 'active')
                     AND created_at < sqlc.arg(month_start))::int AS new_tenants_before,
    count(*) FILTER (WHERE from_status = 'trial' AND to_status = 'active'
                     AND created_at >= sqlc.arg(month_start))::int AS trials_converted,
    count(*) FILTER (WHERE from_status = 'trial' AND to_status IN ('active', 'suspended', 'cancelled')
                     AND created_at >= sqlc.arg(month_start))::int AS trials_ended,
    count(*) FILTER (WHERE to_status = 'cancelled' AND from_status IN ('active', 'past_due', 'suspended')
                     AND created_at >= sqlc.arg(month_start))::int AS churned
FROM tenant_status_history
WHERE created_at >= sqlc.arg(previous_start) AND created_at < sqlc.arg(month_end);

-- name: KPIRevenue :one
SELECT COALESCE(sum(total_cents), 0)::bigint FROM invoices
WHERE status = 'paid' AND paid_at >= sqlc.arg(month_start) AND paid_at < sqlc.arg(month_end);

-- name: KPITenantsByStatus :many
SELECT status, count(*)::int AS tenants FROM tenants GROUP BY status ORDER BY status;

-- name: KPITenantsByPlan :many
SELECT plan_code, count(*)::int AS tenants FROM tenants
WHERE status IN ('trial', 'active', 'past_due') GROUP BY plan_code ORDER BY plan_code;

-- name: KPIServers :many
SELECT s.name,
       count(t.id) FILTER (WHERE t.status NOT IN ('failed', 'archived'))::int AS tenants,
       COALESCE(sum(u.storage_bytes), 0)::bigint AS storage_bytes
FROM database_servers s
LEFT JOIN tenants t ON t.database_server_id = s.id
LEFT JOIN tenant_usage u ON u.tenant_id = t.id AND u.month = sqlc.arg(month)
GROUP BY s.name ORDER BY s.name;

-- name: MetricTenants :many
-- Tenants by status and plan, for /metrics.
SELECT status, plan_code, count(*)::int AS tenants FROM tenants GROUP BY status, plan_code;

-- name: MetricOutbox :many
-- Messages waiting in the outbox by channel, and how long the oldest has waited, for /metrics.
SELECT channel, count(*)::int AS queued,
       coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_seconds
FROM notifications WHERE status = 'queued' GROUP BY channel;
