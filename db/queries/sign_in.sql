-- name: SigningKeyLock :exec
-- Serializes the key rotations of every API process.
SELECT pg_advisory_xact_lock(hashtextextended('signing_keys', 0));

-- name: SigningKeyPublished :many
-- The keys published: the next one, the one signing, and retired ones until
-- retired_before (every token they signed has expired by then), oldest first.
SELECT * FROM signing_keys
WHERE retired_at IS NULL OR retired_at > sqlc.arg(retired_after)::timestamptz
ORDER BY created_at, kid;

-- name: SigningKeyInsert :exec
INSERT INTO signing_keys (kid, public_key, private_key_enc) VALUES ($1, $2, $3);

-- name: SigningKeyRetire :exec
-- The signing key stops signing.
UPDATE signing_keys SET retired_at = now() WHERE signing_since IS NOT NULL AND retired_at IS NULL;

-- name: SigningKeyPromote :execrows
-- The next key signs from now on.
UPDATE signing_keys SET signing_since = now() WHERE signing_since IS NULL;

-- name: SigningKeyDeleteRetired :exec
DELETE FROM signing_keys WHERE retired_at <= sqlc.arg(retired_before)::timestamptz;

-- name: UserSessionCreate :one
INSERT INTO user_sessions (tenant_id, user_id, address, expires_at) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: RefreshTokenInsert :exec
INSERT INTO refresh_tokens (sha256, session_id) VALUES ($1, $2);

-- name: RefreshTokenLock :one
-- A refresh token and its session, the session locked: one refresh of a
-- session at a time.
SELECT r.sha256, r.replaced_at, s.id AS session_id, s.tenant_id, s.user_id, s.expires_at, s.revoked_at
FROM refresh_tokens r
JOIN user_sessions s ON s.id = r.session_id
WHERE r.sha256 = $1
FOR UPDATE OF s;

-- name: RefreshTokenReplaceLive :exec
-- Every refresh token of the session not replaced yet is replaced now.
UPDATE refresh_tokens SET replaced_at = now() WHERE session_id = $1 AND replaced_at IS NULL;

-- name: UserSessionRevoke :exec
UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL;

-- name: UserSessionRevokeUser :execrows
UPDATE user_sessions SET revoked_at = now(), revoked_reason = $3
WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL;

-- name: UserSessionRevokeTenant :execrows
UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2 WHERE tenant_id = $1 AND revoked_at IS NULL;

-- name: UserSessionGet :one
SELECT * FROM user_sessions WHERE id = $1;

-- name: SignInLinkCreate :exec
-- A link for the outbox message dedupe_key; a rerun whose message was never
-- queued replaces the link it made before.
INSERT INTO sign_in_links (sha256, tenant_id, user_id, purpose, dedupe_key, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (dedupe_key) DO UPDATE SET sha256 = EXCLUDED.sha256, expires_at = EXCLUDED.expires_at
WHERE sign_in_links.used_at IS NULL;

-- name: SignInLinkUse :one
-- Uses a link once, before it expires.
UPDATE sign_in_links SET used_at = now()
WHERE sha256 = $1 AND used_at IS NULL AND expires_at > now()
RETURNING tenant_id, user_id, purpose;

-- name: SignInLinkVoidUser :exec
-- A user's unused links end (the user is removed, or set a password).
UPDATE sign_in_links SET used_at = now() WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL;

-- name: SignInFailureGet :one
SELECT failures, last_failed_at FROM sign_in_failures WHERE tenant_id = $1 AND email = $2;

-- name: SignInFailureRecord :one
-- One more failure in a row; a run older than forget_before starts again.
INSERT INTO sign_in_failures AS f (tenant_id, email, failures, last_failed_at)
VALUES ($1, $2, 1, now())
ON CONFLICT (tenant_id, email) DO UPDATE
SET failures = CASE WHEN f.last_failed_at < sqlc.arg(forget_before)::timestamptz THEN 1 ELSE f.failures + 1 END,
    last_failed_at = now()
RETURNING failures, last_failed_at;

-- name: SignInFailureClear :exec
DELETE FROM sign_in_failures WHERE tenant_id = $1 AND email = $2;

-- name: UserSessionRevokedAfter :many
-- Sessions revoked after version, oldest revocation first (the change feed).
SELECT id, tenant_id, revoked_at, revoke_version FROM user_sessions
WHERE revoke_version > sqlc.arg(after)::bigint
ORDER BY revoke_version
LIMIT sqlc.arg(max_rows);

-- name: UserSessionRevokedSince :many
-- Sessions revoked since a time (whose access tokens may still be valid), oldest first.
SELECT id, tenant_id, revoked_at, revoke_version FROM user_sessions
WHERE revoked_at > sqlc.arg(since)::timestamptz AND revoke_version IS NOT NULL
ORDER BY revoke_version
LIMIT sqlc.arg(max_rows);

-- name: SignInAccountTryLock :one
-- One sign-in of an account is checked at a time (to the transaction's end):
-- a guess sent beside another waits for no delay it has not earned.
SELECT pg_try_advisory_xact_lock(hashtextextended(sqlc.arg(tenant_id)::uuid::text || '/' || sqlc.arg(email)::text, 11));
