-- +goose Up
-- The tenant's statuses and the moves between them, as the lifecycle package
-- has them (a test keeps the two equal). A status change not listed here is
-- refused by the trigger below, whoever writes it.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('provisioning', 'trial', 'active', 'past_due', 'suspended',
                      'cancelled', 'archiving', 'archived', 'failed'));

CREATE TABLE tenant_status_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO tenant_status_transitions (from_status, to_status) VALUES
    ('provisioning', 'trial'), ('provisioning', 'active'), ('provisioning', 'failed'),
    ('trial', 'active'), ('active', 'past_due'), ('past_due', 'active'), ('suspended', 'active'),
    ('trial', 'suspended'), ('active', 'suspended'), ('past_due', 'suspended'), ('suspended', 'trial'),
    ('trial', 'cancelled'), ('active', 'cancelled'), ('past_due', 'cancelled'), ('suspended', 'cancelled'),
    ('cancelled', 'trial'), ('cancelled', 'active'), ('cancelled', 'archiving'), ('archiving', 'archived');
REVOKE INSERT, UPDATE, DELETE ON tenant_status_transitions FROM landlord_app;

-- +goose StatementBegin
CREATE FUNCTION tenants_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM tenant_status_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'tenant %: status % cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tenants_status_transition BEFORE UPDATE OF status ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_status_transition();

-- Where a suspended or cancelled tenant returns when an operator lets it back:
-- a trial stays a trial. Tenants blocked before this column existed are trials
-- when they never had a paid period.
ALTER TABLE tenants ADD COLUMN resume_status text CHECK (resume_status IN ('trial', 'active'));
UPDATE tenants SET resume_status = CASE WHEN current_period_end IS NULL THEN 'trial' ELSE 'active' END
WHERE status IN ('suspended', 'cancelled');

-- Only a suspension landlord made for want of payment ends in offboarding by itself.
DROP INDEX tenants_suspended_due;
CREATE INDEX tenants_suspended_due ON tenants (suspended_at, id)
    WHERE status = 'suspended' AND suspension_reason IN ('payment_overdue', 'trial_expired');

-- +goose Down
DROP INDEX tenants_suspended_due;
CREATE INDEX tenants_suspended_due ON tenants (suspended_at, id) WHERE status = 'suspended';
ALTER TABLE tenants DROP COLUMN resume_status;
DROP TRIGGER tenants_status_transition ON tenants;
DROP FUNCTION tenants_status_transition();
DROP TABLE tenant_status_transitions;
UPDATE tenants SET status = 'cancelled' WHERE status = 'archiving';
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('provisioning', 'trial', 'active', 'past_due', 'suspended',
                      'cancelled', 'archived', 'failed'));
