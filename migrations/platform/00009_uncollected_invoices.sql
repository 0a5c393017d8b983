-- +goose Up
-- The renewal sweep finds period invoices whose collection stopped on this.
CREATE INDEX invoices_uncollected ON invoices (period_start, tenant_id)
    WHERE status IN ('draft', 'open') AND idempotency_key LIKE 'period/%';

-- +goose Down
DROP INDEX invoices_uncollected;
