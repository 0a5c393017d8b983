-- +goose Up
-- What the tenant database's server counted of writes into it (rows inserted,
-- updated and deleted, from pg_stat_database) when this snapshot was measured:
-- the usage sweep opens a tenant database again only when the count moved.
ALTER TABLE tenant_usage ADD COLUMN write_mark bigint;

-- +goose Down
ALTER TABLE tenant_usage DROP COLUMN write_mark;
