-- name: InvoiceNextNumber :one
-- Invoice numbers run per year without gaps in the sequence table.
INSERT INTO invoice_number_sequences (year, last_number) VALUES ($1, 1)
ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_sequences.last_number + 1
RETURNING last_number;

-- name: InvoiceInsert :execrows
INSERT INTO invoices (id, number, tenant_id, status, currency, subtotal_cents, credit_applied_cents, total_cents,
                      period_start, period_end, idempotency_key)
VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (idempotency_key) DO NOTHING;

-- name: InvoiceLineInsert :exec
INSERT INTO invoice_lines (invoice_id, description, amount_cents, period_start, period_end)
VALUES ($1, $2, $3, $4, $5);

-- name: InvoiceGet :one
SELECT * FROM invoices WHERE id = $1;

-- name: InvoiceGetForUpdate :one
SELECT * FROM invoices WHERE id = $1 FOR UPDATE;

-- name: InvoiceGetByKey :one
SELECT * FROM invoices WHERE idempotency_key = $1;

-- name: InvoiceGetByProviderIDForUpdate :one
SELECT * FROM invoices WHERE provider_invoice_id = $1 FOR UPDATE;

-- name: InvoiceListByTenant :many
SELECT * FROM invoices WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT sqlc.arg(row_limit);

-- name: InvoiceListOpenByTenant :many
-- What the tenant owes: open invoices, and drafts whose finalizing never finished.
SELECT * FROM invoices WHERE tenant_id = $1 AND status IN ('draft', 'open') ORDER BY created_at;

-- name: InvoiceLinesFor :many
SELECT * FROM invoice_lines WHERE invoice_id = ANY(sqlc.arg(invoice_ids)::uuid[]) ORDER BY invoice_id, id;

-- name: InvoiceFinalize :exec
UPDATE invoices SET status = 'open', provider_invoice_id = $2, finalized_at = now() WHERE id = $1 AND status = 'draft';

-- name: InvoiceMarkPaid :execrows
UPDATE invoices SET status = 'paid', paid_at = now() WHERE id = $1 AND status IN ('draft', 'open');

-- name: InvoiceVoid :one
-- Voids an unpaid invoice and returns the credit it had taken, to be given back.
UPDATE invoices SET status = 'void' WHERE id = $1 AND status IN ('draft', 'open')
RETURNING credit_applied_cents;

-- name: InvoicePaidForPeriod :one
-- What the tenant paid (credit it used included) on invoices for the period
-- start..end or a part of it: the most a plan change can credit back.
SELECT COALESCE(sum(subtotal_cents), 0)::bigint FROM invoices
WHERE tenant_id = sqlc.arg(tenant_id) AND status = 'paid'
  AND period_start >= sqlc.arg(period_start) AND period_end <= sqlc.arg(period_end);
