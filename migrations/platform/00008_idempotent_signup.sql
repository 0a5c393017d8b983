-- +goose Up
-- A signup sent with an Idempotency-Key: the tenant id derives from the key, and
-- this is the hash of the request it came with, so a retry with the same key
-- and body finds its tenant and one with another body is refused.
ALTER TABLE tenants ADD COLUMN request_sha256 bytea CHECK (length(request_sha256) = 32);

-- +goose Down
ALTER TABLE tenants DROP COLUMN request_sha256;
