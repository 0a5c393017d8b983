-- +goose Up
-- Nothing carrying text a signup wrote reaches an address or a number until
-- its owner proved they read it: a code sent there, entered back through the
-- API. Tenants an operator created are vouched for; tenants that signed up
-- before this are taken as verified (they have been receiving mail all along).
ALTER TABLE tenants ADD COLUMN email_verified_at timestamptz, ADD COLUMN phone_verified_at timestamptz;
UPDATE tenants SET email_verified_at = created_at, phone_verified_at = CASE WHEN phone IS NOT NULL THEN created_at END;

CREATE TABLE contact_verifications (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient   text NOT NULL,
    code_sha256 bytea NOT NULL,
    attempts    int NOT NULL DEFAULT 0, -- wrong codes entered; five and the code is void
    created_at  timestamptz NOT NULL DEFAULT now(),
    verified_at timestamptz,
    PRIMARY KEY (tenant_id, channel)
);
ALTER TABLE contact_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_path ON contact_verifications TO landlord_app USING (true) WITH CHECK (true);
CREATE POLICY tenant_path ON contact_verifications TO landlord_tenant
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- Messages per recipient and overall are counted over recent rows.
CREATE INDEX notifications_recipient ON notifications (recipient, channel, created_at);
CREATE INDEX notifications_created ON notifications (created_at);

-- +goose Down
DROP INDEX notifications_created;
DROP INDEX notifications_recipient;
DROP TABLE contact_verifications;
ALTER TABLE tenants DROP COLUMN phone_verified_at, DROP COLUMN email_verified_at;
