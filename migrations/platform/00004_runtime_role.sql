-- +goose Up
-- The role the API and workers run as: no superuser, no BYPASSRLS, owns no
-- table. It may read and write the platform's rows, but only append to the
-- audit log. Roles are cluster-wide: created once, granted in each database.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'landlord_app') THEN
        CREATE ROLE landlord_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO landlord_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO landlord_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM landlord_app;
REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM landlord_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO landlord_app;
-- Tables and sequences later migrations create get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO landlord_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO landlord_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM landlord_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM landlord_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM landlord_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM landlord_app;
REVOKE USAGE ON SCHEMA public FROM landlord_app;
