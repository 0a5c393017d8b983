-- +goose Up
-- The template each server's tenant databases are cloned from, as the worker
-- that last built or checked it found it: its schema version (00017) and the
-- digest of the migrations it was built from.
ALTER TABLE database_servers ADD COLUMN template_digest text;

-- The warm pool: tenant databases built ahead of any signup (a login role, its
-- owner role and a database cloned from the template, named warm_<id>), one
-- row each. Onboarding claims one (claimed_by) and renames it to the tenant's
-- names; a row stays as the record of the claim. A row without ready_at is
-- still being built (or its build died and the next refill removes it).
CREATE TABLE warm_databases (
    id                 uuid PRIMARY KEY,
    database_server_id uuid NOT NULL REFERENCES database_servers (id),
    template_version   bigint NOT NULL,
    template_digest    text NOT NULL,
    password_enc       bytea NOT NULL, -- the login role's password, sealed under LANDLORD_SECRET_KEY
    created_at         timestamptz NOT NULL DEFAULT now(),
    ready_at           timestamptz,
    build_ms           integer,
    claimed_by         uuid UNIQUE REFERENCES tenants (id),
    claimed_at         timestamptz
);
-- What a claim looks for: the oldest ready, unclaimed database of a server.
CREATE INDEX warm_databases_ready ON warm_databases (database_server_id, created_at)
    WHERE ready_at IS NOT NULL AND claimed_by IS NULL;
-- Operators only: nothing in it belongs to a tenant until it is claimed, and then the tenant row holds what matters.
ALTER TABLE warm_databases ENABLE ROW LEVEL SECURITY;
ALTER TABLE warm_databases FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_path ON warm_databases TO landlord_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON warm_databases TO landlord_app;

-- +goose Down
DROP TABLE warm_databases;
ALTER TABLE database_servers DROP COLUMN template_digest;
