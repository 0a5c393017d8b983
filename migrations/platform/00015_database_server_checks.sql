-- +goose Up
-- A server an operator registers is pending until landlord has logged in to
-- it and found a PostgreSQL server where its login may create databases and
-- roles; only active servers take tenants. A server may have its own login,
-- its password sealed like tenants' (under LANDLORD_SECRET_KEY), and TLS
-- that verifies its certificate and host name (required away from loopback).
ALTER TABLE database_servers DROP CONSTRAINT database_servers_status_check;
ALTER TABLE database_servers ADD CONSTRAINT database_servers_status_check
    CHECK (status IN ('pending', 'active', 'draining', 'retired'));
ALTER TABLE database_servers
    ADD COLUMN admin_user         text,
    ADD COLUMN admin_password_enc bytea,
    ADD COLUMN tls                text NOT NULL DEFAULT 'disable' CHECK (tls IN ('disable', 'verify-full')),
    ADD COLUMN checked_at         timestamptz,
    ADD COLUMN check_error        text,
    ADD CONSTRAINT database_servers_login CHECK ((admin_user IS NULL) = (admin_password_enc IS NULL));
-- The tenant path reads where a tenant's database is, never how landlord logs in.
REVOKE SELECT ON database_servers FROM landlord_tenant;
GRANT SELECT (id, name, host, port, kind, status) ON database_servers TO landlord_tenant;

-- +goose Down
REVOKE SELECT (id, name, host, port, kind, status) ON database_servers FROM landlord_tenant;
GRANT SELECT ON database_servers TO landlord_tenant;
UPDATE database_servers SET status = 'retired' WHERE status = 'pending';
ALTER TABLE database_servers DROP CONSTRAINT database_servers_login,
    DROP COLUMN check_error, DROP COLUMN checked_at, DROP COLUMN tls,
    DROP COLUMN admin_password_enc, DROP COLUMN admin_user;
ALTER TABLE database_servers DROP CONSTRAINT database_servers_status_check;
ALTER TABLE database_servers ADD CONSTRAINT database_servers_status_check
    CHECK (status IN ('active', 'draining', 'retired'));
