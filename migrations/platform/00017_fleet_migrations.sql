-- +goose Up
-- Each tenant database's schema version (the newest tenant migration applied),
-- as the last fleet migration or reopening found it; NULL: not yet recorded.
ALTER TABLE tenants ADD COLUMN schema_version bigint,
                    ADD COLUMN schema_migrated_at timestamptz;

-- The tenant schema version of each server's template, as the last worker to
-- look found it (a worker builds it only when its own version is newer).
ALTER TABLE database_servers ADD COLUMN template_version bigint;

-- A rollout of the tenant migrations to every tenant database behind them.
CREATE TABLE fleet_migrations (
    id             uuid PRIMARY KEY,
    target_version bigint NOT NULL,
    status         text NOT NULL CHECK (status IN ('running', 'paused', 'completed', 'failed', 'aborted')),
    paused_reason  text,
    canary         integer NOT NULL,
    parallel       integer NOT NULL, -- per database server
    max_failures   integer NOT NULL, -- more than this and the rollout pauses itself
    total          integer NOT NULL DEFAULT 0,
    started_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
-- At most one rollout runs (or waits, paused) at a time.
CREATE UNIQUE INDEX fleet_migrations_one_open ON fleet_migrations ((true)) WHERE status IN ('running', 'paused');

-- What a rollout did to each tenant database, once per tenant (a retried step overwrites its row).
CREATE TABLE fleet_migration_tenants (
    fleet_id     uuid NOT NULL REFERENCES fleet_migrations (id),
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    status       text NOT NULL CHECK (status IN ('migrated', 'failed', 'skipped')),
    from_version bigint,
    to_version   bigint,
    error        text,
    duration_ms  integer NOT NULL DEFAULT 0,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fleet_id, tenant_id)
);
ALTER TABLE fleet_migration_tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE fleet_migration_tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_path ON fleet_migration_tenants TO landlord_app USING (true) WITH CHECK (true);
CREATE POLICY tenant_path ON fleet_migration_tenants TO landlord_tenant
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- A tenant admin reads the attempts to charge its invoices (its own rows, by the tenant path's policy).
GRANT SELECT ON payments TO landlord_tenant;

-- +goose Down
REVOKE SELECT ON payments FROM landlord_tenant;
DROP TABLE fleet_migration_tenants;
DROP TABLE fleet_migrations;
ALTER TABLE tenants DROP COLUMN schema_migrated_at, DROP COLUMN schema_version;
ALTER TABLE database_servers DROP COLUMN template_version;
