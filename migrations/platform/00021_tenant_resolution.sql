-- +goose Up
-- Service tokens: the ERP's own services, which may only resolve tenants
-- (GET /v1/resolve and its change feed). Like an operator's, a service token
-- belongs to no tenant.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('operator', 'tenant_admin', 'service'));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_check CHECK ((role = 'tenant_admin') = (tenant_id IS NOT NULL));

-- What a resolution answers of a tenant (its names, status, plan, the limits
-- in force and its database) carries a version from one sequence, bumped by every change of
-- it, whoever writes it: a snapshot is as new as its version, and the change
-- feed is the tenants whose version is above the one a client has seen (a
-- tenant changed twice is sent once, as it is now). Every bump wakes the
-- feeds listening on tenant_resolution.
CREATE SEQUENCE tenant_resolve_version;
GRANT USAGE, SELECT ON SEQUENCE tenant_resolve_version TO landlord_app;
ALTER TABLE tenants ADD COLUMN resolve_version bigint;
UPDATE tenants SET resolve_version = nextval('tenant_resolve_version');
ALTER TABLE tenants ALTER COLUMN resolve_version SET DEFAULT nextval('tenant_resolve_version'),
                    ALTER COLUMN resolve_version SET NOT NULL;
CREATE UNIQUE INDEX tenants_resolve_version ON tenants (resolve_version);

-- +goose StatementBegin
CREATE FUNCTION tenants_resolve_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR
       (NEW.status, NEW.subdomain, NEW.tenant_code, NEW.plan_code, NEW.database_server_id, NEW.database_name,
        NEW.database_role, NEW.database_password_enc, NEW.max_companies, NEW.max_users_per_company, NEW.max_total_users,
        NEW.max_transactions_per_month, NEW.max_storage_gb, NEW.api_rate_limit_per_hour)
       IS DISTINCT FROM
       (OLD.status, OLD.subdomain, OLD.tenant_code, OLD.plan_code, OLD.database_server_id, OLD.database_name,
        OLD.database_role, OLD.database_password_enc, OLD.max_companies, OLD.max_users_per_company, OLD.max_total_users,
        OLD.max_transactions_per_month, OLD.max_storage_gb, OLD.api_rate_limit_per_hour) THEN
        IF TG_OP = 'UPDATE' THEN
            NEW.resolve_version := nextval('tenant_resolve_version');
        END IF;
        PERFORM pg_notify('tenant_resolution', NEW.resolve_version::text);
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tenants_resolve_version BEFORE INSERT OR UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_resolve_version();

-- +goose Down
DROP TRIGGER tenants_resolve_version ON tenants;
DROP FUNCTION tenants_resolve_version();
ALTER TABLE tenants DROP COLUMN resolve_version;
DROP SEQUENCE tenant_resolve_version;
DELETE FROM api_tokens WHERE role = 'service';
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_check CHECK ((role = 'operator') = (tenant_id IS NULL));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('operator', 'tenant_admin'));
