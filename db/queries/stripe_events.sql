-- name: StripeEventInsert :execrows
-- The event id is the key: a redelivered event inserts nothing and is skipped.
INSERT INTO stripe_events (event_id, type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING;
