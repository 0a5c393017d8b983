-- name: NotificationEnqueue :exec
-- The dedupe key makes a second enqueue of the same message a no-op.
INSERT INTO notifications (tenant_id, channel, template, recipient, subject, body, dedupe_key)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: NotificationGetByDedupeKey :one
SELECT * FROM notifications WHERE dedupe_key = $1;

-- name: NotificationMarkSent :exec
UPDATE notifications
SET status = 'sent', provider = $2, provider_id = $3, attempts = attempts + 1, sent_at = now(), last_error = NULL
WHERE id = $1 AND status = 'queued';

-- name: NotificationRecordFailure :exec
UPDATE notifications SET attempts = attempts + 1, last_error = $2 WHERE id = $1 AND status = 'queued';

-- name: NotificationCancelQueued :exec
UPDATE notifications SET status = 'cancelled' WHERE tenant_id = $1 AND status = 'queued';

-- name: NotificationListByTenant :many
SELECT * FROM notifications WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT sqlc.arg(row_limit);

-- name: NotificationCountSMSSince :one
SELECT count(*)::int FROM notifications WHERE tenant_id = $1 AND channel = 'sms' AND status <> 'cancelled' AND created_at >= $2;

-- name: NotificationEnqueueWithheld :exec
-- Keeps a message that a limit stops in the outbox, cancelled with the reason.
INSERT INTO notifications (tenant_id, channel, template, recipient, subject, body, dedupe_key, status, last_error)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'cancelled', $8)
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: NotificationLockRecipient :exec
-- Serializes the limits of one recipient: two messages counted at once are counted one after the other.
SELECT pg_advisory_xact_lock(hashtextextended(sqlc.arg(recipient)::text, 7));

-- name: NotificationCountToSince :one
-- Messages on a channel to one recipient, of any tenant, since a time (withheld ones not counted).
SELECT count(*)::int FROM notifications
WHERE recipient = $1 AND channel = $2 AND created_at >= $3 AND status <> 'cancelled';

-- name: NotificationCountSince :one
-- Every message of every tenant since a time (withheld ones not counted).
SELECT count(*)::int FROM notifications WHERE created_at >= $1 AND status <> 'cancelled';

-- name: VerificationCreate :execrows
-- A tenant's one pending code per channel; a rerun keeps the first.
INSERT INTO contact_verifications (tenant_id, channel, recipient, code_sha256)
VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, channel) DO NOTHING;

-- name: VerificationPendingForUpdate :many
SELECT * FROM contact_verifications
WHERE tenant_id = $1 AND verified_at IS NULL AND attempts < 5
FOR UPDATE;

-- name: VerificationMarkVerified :exec
UPDATE contact_verifications SET verified_at = now() WHERE tenant_id = $1 AND channel = $2;

-- name: VerificationCountFailure :exec
UPDATE contact_verifications SET attempts = attempts + 1 WHERE tenant_id = $1 AND verified_at IS NULL;

-- name: TenantMarkContactVerified :execrows
-- The address or number is verified only while it is still the tenant's.
UPDATE tenants SET
    email_verified_at = CASE WHEN sqlc.arg(channel)::text = 'email' AND admin_email = sqlc.arg(recipient) THEN now() ELSE email_verified_at END,
    phone_verified_at = CASE WHEN sqlc.arg(channel)::text = 'sms' AND phone = sqlc.arg(recipient) THEN now() ELSE phone_verified_at END,
    updated_at = now()
WHERE id = sqlc.arg(id);
