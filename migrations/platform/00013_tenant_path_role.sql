-- +goose Up
-- A tenant admin's reads and writes run as landlord_tenant (the API does SET
-- LOCAL ROLE inside the request's transaction): its policies see one tenant,
-- the one app.tenant_id names, and no setting widens them (app.scope means
-- nothing to it). landlord_app, the operator path, may switch to it. Every
-- table with a tenant's rows has row-level security and a policy for each.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'landlord_tenant') THEN
        CREATE ROLE landlord_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database's migration created it at the same moment
END
$$;
-- +goose StatementEnd
GRANT landlord_tenant TO landlord_app;
GRANT USAGE ON SCHEMA public TO landlord_tenant;
-- What the tenant path reads: its tenant, usage, invoices, notifications,
-- audit log and alerts; it writes only audit entries.
GRANT SELECT ON tenants, tenant_usage, invoices, invoice_lines, notifications, audit_log, alerts,
    subscription_plans, database_servers TO landlord_tenant;
GRANT INSERT ON audit_log TO landlord_tenant;

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    -- The five tables that already had row-level security: the operator path
    -- still sees them only with app.scope set (so a forgotten scope shows nothing).
    FOREACH t IN ARRAY ARRAY['tenant_usage', 'invoices', 'notifications', 'audit_log', 'alerts'] LOOP
        EXECUTE format('DROP POLICY tenant_scope ON %I', t);
        EXECUTE format($p$CREATE POLICY operator_path ON %I TO landlord_app
            USING (current_setting('app.scope', true) = 'operator')
            WITH CHECK (current_setting('app.scope', true) = 'operator')$p$, t);
    END LOOP;
    -- Tables the API reads before it knows the tenant (tokens, tenants) or
    -- only workers write: the operator path sees them whole.
    FOREACH t IN ARRAY ARRAY['tenants', 'api_tokens', 'payments', 'invoice_lines', 'tenant_status_history', 'tenant_backups'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY operator_path ON %I TO landlord_app USING (true) WITH CHECK (true)', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['tenant_usage', 'invoices', 'notifications', 'audit_log', 'alerts',
                             'api_tokens', 'payments', 'tenant_status_history', 'tenant_backups'] LOOP
        EXECUTE format($p$CREATE POLICY tenant_path ON %I TO landlord_tenant
            USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
    CREATE POLICY tenant_path ON tenants TO landlord_tenant
        USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
    -- An invoice's lines are the tenant's whose invoice it is (itself under its policy).
    CREATE POLICY tenant_path ON invoice_lines TO landlord_tenant
        USING (EXISTS (SELECT FROM invoices i WHERE i.id = invoice_id));
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenants', 'tenant_usage', 'invoices', 'notifications', 'audit_log', 'alerts',
                             'api_tokens', 'payments', 'invoice_lines', 'tenant_status_history', 'tenant_backups'] LOOP
        EXECUTE format('DROP POLICY tenant_path ON %I', t);
        EXECUTE format('DROP POLICY operator_path ON %I', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['tenants', 'api_tokens', 'payments', 'invoice_lines', 'tenant_status_history', 'tenant_backups'] LOOP
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['tenant_usage', 'invoices', 'notifications', 'audit_log', 'alerts'] LOOP
        EXECUTE format($p$CREATE POLICY tenant_scope ON %I
            USING (current_setting('app.scope', true) = 'operator'
                   OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (current_setting('app.scope', true) = 'operator'
                   OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM landlord_tenant;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM landlord_tenant;
REVOKE USAGE ON SCHEMA public FROM landlord_tenant;
-- The role and landlord_app's membership are the cluster's, shared by every
-- platform database on it: they stay.
