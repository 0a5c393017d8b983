-- +goose Up
-- Tenants still provisioning, by registration time: the API registers a signup
-- and then starts its onboarding; the trial sweep starts the onboarding of one
-- whose start was lost (the API stopped in between). Normally a handful of rows.
CREATE INDEX tenants_provisioning ON tenants (created_at, id) WHERE status = 'provisioning';

-- +goose Down
DROP INDEX tenants_provisioning;
