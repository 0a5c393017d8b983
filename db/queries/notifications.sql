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
