-- +goose Up
-- End-user sign-in. A tenant's users, and their password hashes, live in its
-- own database; what must hold across the fleet at once lives here: the keys
-- that sign access tokens, sessions and their refresh tokens, sign-in links
-- and failed sign-ins.

-- Ed25519 keys. One key is next (published, not signing yet), one signs, and
-- retired ones stay published until every token they signed has expired.
CREATE TABLE signing_keys (
    kid             text PRIMARY KEY,
    public_key      bytea NOT NULL CHECK (length(public_key) = 32),
    private_key_enc bytea NOT NULL, -- sealed under LANDLORD_SECRET_KEY
    created_at      timestamptz NOT NULL DEFAULT now(), -- published from then on
    signing_since   timestamptz,                        -- NULL: the next key
    retired_at      timestamptz,
    CHECK (retired_at IS NULL OR signing_since IS NOT NULL)
);
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys ((true)) WHERE signing_since IS NULL;
CREATE UNIQUE INDEX signing_keys_one_signing ON signing_keys ((true)) WHERE signing_since IS NOT NULL AND retired_at IS NULL;

-- A session is one sign-in of one user; revoking it ends every refresh token
-- of it (a family), and its id is in every access token it gave.
CREATE TABLE user_sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL, -- a user of the tenant's own database
    address        text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text,
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX user_sessions_live ON user_sessions (tenant_id, user_id) WHERE revoked_at IS NULL;

-- A revocation is told to the ERP's services by the change feed, as a
-- tenant's change is: it takes a version from the same sequence and wakes
-- the feeds, so a revoked session's access tokens are refused at once, not
-- when they expire.
ALTER TABLE user_sessions ADD COLUMN revoke_version bigint UNIQUE;
-- +goose StatementBegin
CREATE FUNCTION user_sessions_revoke_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
        NEW.revoke_version := nextval('tenant_resolve_version');
        PERFORM pg_notify('tenant_resolution', NEW.revoke_version::text);
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER user_sessions_revoke_version BEFORE UPDATE OF revoked_at ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION user_sessions_revoke_version();

-- Refresh tokens, by their SHA-256. One rotated is replaced; presenting it
-- again after a short grace revokes its session.
CREATE TABLE refresh_tokens (
    sha256      bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    replaced_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id) WHERE replaced_at IS NULL;

-- Links that set a password (a new user's first, or a forgotten one), by
-- their SHA-256; used once, and only before they expire.
CREATE TABLE sign_in_links (
    sha256     bytea PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL,
    purpose    text NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    dedupe_key text NOT NULL UNIQUE, -- the outbox message that carries it
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

-- Failed sign-ins in a row of one account: a tenant and an email, known or
-- not (an unknown email is counted as a known one is, so neither tells).
CREATE TABLE sign_in_failures (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          text NOT NULL CHECK (email = lower(email)),
    failures       int NOT NULL CHECK (failures > 0),
    last_failed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, email)
);

-- Rows of one tenant: the API's role sees them all (sign-in runs before any
-- tenant scope), the tenant path only its own, as for every tenant table.
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['user_sessions', 'sign_in_links', 'sign_in_failures'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY operator_path ON %I TO landlord_app USING (true) WITH CHECK (true)', t);
        EXECUTE format($p$CREATE POLICY tenant_path ON %I TO landlord_tenant
            USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE sign_in_failures;
DROP TABLE sign_in_links;
DROP TABLE refresh_tokens;
DROP TABLE user_sessions;
DROP FUNCTION user_sessions_revoke_version();
DROP TABLE signing_keys;
