-- +goose Up
-- Rows that belong to one tenant are visible to the runtime role only inside a
-- transaction that names that tenant (set_config('app.tenant_id', id, true)),
-- or on the operator path (set_config('app.scope', 'operator', ...)). With
-- neither, nothing. Superusers (migrations, provisioning) are not subject to it.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_usage', 'invoices', 'notifications', 'audit_log', 'alerts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_scope ON %I
            USING (current_setting('app.scope', true) = 'operator'
                   OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (current_setting('app.scope', true) = 'operator'
                   OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenant_usage', 'invoices', 'notifications', 'audit_log', 'alerts'] LOOP
        EXECUTE format('DROP POLICY tenant_scope ON %I', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
