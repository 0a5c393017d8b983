-- +goose Up
-- A user signs in with a password, kept as its argon2id hash (PHC string).
-- NULL: invited, no password set yet.
ALTER TABLE users ADD COLUMN password_hash text,
                  ADD COLUMN password_changed_at timestamptz;

-- +goose Down
ALTER TABLE users DROP COLUMN password_changed_at, DROP COLUMN password_hash;
