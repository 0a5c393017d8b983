-- +goose Up
-- Alert rules fired, at most once per rule, tenant and period.
CREATE TABLE alerts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    rule       text NOT NULL,
    period     text NOT NULL,
    details    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, rule, period)
);
CREATE INDEX alerts_recent ON alerts (created_at DESC, id DESC);

-- The usage sweep pages through live tenants in creation order.
CREATE INDEX tenants_live ON tenants (created_at, id) WHERE status IN ('trial', 'active', 'past_due');

-- +goose Down
DROP INDEX tenants_live;
DROP TABLE alerts;
