-- +goose Up
ALTER TABLE tenants ADD COLUMN suspended_at timestamptz;

-- Sweeps page through due tenants on these, in (due time, id) order.
DROP INDEX tenants_trial_due;
DROP INDEX tenants_period_due;
CREATE INDEX tenants_trial_due ON tenants (trial_ends_at, id) WHERE status = 'trial';
CREATE INDEX tenants_period_due ON tenants (current_period_end, id) WHERE status IN ('active', 'past_due');
CREATE INDEX tenants_grace_due ON tenants (grace_until, id) WHERE status = 'past_due';
CREATE INDEX tenants_suspended_due ON tenants (suspended_at, id) WHERE status = 'suspended';

CREATE TABLE tenant_backups (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    database_name text NOT NULL,
    path          text NOT NULL UNIQUE,
    size_bytes    bigint NOT NULL,
    sha256        text NOT NULL,
    verified_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_backups_tenant ON tenant_backups (tenant_id, created_at DESC);

-- +goose Down
DROP TABLE tenant_backups;
DROP INDEX tenants_suspended_due;
DROP INDEX tenants_grace_due;
DROP INDEX tenants_period_due;
DROP INDEX tenants_trial_due;
CREATE INDEX tenants_trial_due ON tenants (trial_ends_at) WHERE status = 'trial';
CREATE INDEX tenants_period_due ON tenants (current_period_end) WHERE status IN ('active', 'past_due');
ALTER TABLE tenants DROP COLUMN suspended_at;
