-- +goose Up
-- Metered usage per calendar month (UTC), counted as it happens so that a
-- limit check is one row update instead of a count over the month.
CREATE TABLE usage_counters (
    month        date PRIMARY KEY CHECK (date_trunc('month', month) = month),
    transactions bigint NOT NULL DEFAULT 0 CHECK (transactions >= 0)
);

-- +goose Down
DROP TABLE usage_counters;
