-- +goose Up
-- A browser signs in by exchanging a token for a session: the session's id
-- travels in an HttpOnly cookie (stored here as its SHA-256), and requests
-- that change something also carry the session's CSRF token in a header.
CREATE TABLE api_sessions (
    id_sha256  bytea PRIMARY KEY,
    token_id   uuid NOT NULL REFERENCES api_tokens (id),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_sessions_token ON api_sessions (token_id);

-- +goose Down
DROP TABLE api_sessions;
