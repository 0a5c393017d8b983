-- +goose Up
-- A tenant's billing state (plan, cycle, period, trial end, pending plan,
-- status) carries a version that every change of it bumps, whoever writes it.
-- A plan change is quoted against one version, holds the tenant's billing while
-- it invoices and charges (a renewal or trial end waits for the hold), and is
-- applied only if the version is still the one it quoted: nothing is granted
-- before it is paid, and no period is billed twice.
ALTER TABLE tenants
    ADD COLUMN billing_version    bigint NOT NULL DEFAULT 0,
    ADD COLUMN billing_hold       text,
    ADD COLUMN billing_hold_until timestamptz,
    ADD COLUMN billing_applied    text;

-- +goose StatementBegin
CREATE FUNCTION tenants_billing_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.plan_code, NEW.billing_cycle, NEW.trial_ends_at, NEW.current_period_start, NEW.current_period_end,
        NEW.pending_plan_code, NEW.pending_billing_cycle, NEW.status)
       IS DISTINCT FROM
       (OLD.plan_code, OLD.billing_cycle, OLD.trial_ends_at, OLD.current_period_start, OLD.current_period_end,
        OLD.pending_plan_code, OLD.pending_billing_cycle, OLD.status) THEN
        NEW.billing_version := OLD.billing_version + 1;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tenants_billing_version BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_billing_version();

-- +goose Down
DROP TRIGGER tenants_billing_version ON tenants;
DROP FUNCTION tenants_billing_version();
ALTER TABLE tenants DROP COLUMN billing_applied, DROP COLUMN billing_hold_until, DROP COLUMN billing_hold, DROP COLUMN billing_version;
