-- name: TenantResolve :one
-- What a service resolving a tenant by its subdomain is told: the tenant, the
-- limits in force (its plan's, copied when the plan was applied) and its
-- database's server. Tenants not yet or no longer
-- holding a database (provisioning, archiving, archived, failed) are not found.
SELECT t.id, t.tenant_code, t.subdomain, t.status, t.plan_code, t.resolve_version,
       t.database_name, t.database_role, t.database_password_enc,
       s.host AS server_host, s.port AS server_port,
       t.max_companies, t.max_users_per_company, t.max_total_users, t.max_transactions_per_month,
       t.max_storage_gb, t.api_rate_limit_per_hour
FROM tenants t
LEFT JOIN database_servers s ON s.id = t.database_server_id
WHERE t.subdomain = $1 AND t.status NOT IN ('provisioning', 'archiving', 'archived', 'failed');

-- name: TenantResolveChanges :many
-- The tenants whose resolution changed after version, oldest change first.
SELECT id, subdomain, status, resolve_version FROM tenants
WHERE resolve_version > sqlc.arg(after)::bigint
ORDER BY resolve_version
LIMIT sqlc.arg(max_rows);

-- name: TenantResolveVersion :one
-- The newest version the change feed would send, a tenant's or a
-- revocation's (0 with neither).
SELECT greatest(coalesce((SELECT max(resolve_version) FROM tenants), 0),
                coalesce((SELECT max(revoke_version) FROM user_sessions), 0))::bigint;
