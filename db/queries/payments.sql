-- name: PaymentInsert :execrows
INSERT INTO payments (invoice_id, tenant_id, amount_cents, currency, status, provider, provider_payment_id,
                      failure_code, failure_message, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (idempotency_key) DO NOTHING;

-- name: PaymentGetByKey :one
SELECT * FROM payments WHERE idempotency_key = $1;

-- name: PaymentListByInvoice :many
SELECT * FROM payments WHERE invoice_id = $1 ORDER BY created_at;

-- name: PaymentCountFailedForInvoice :one
SELECT count(*)::int FROM payments WHERE invoice_id = $1 AND status = 'failed';

-- name: PaymentsFor :many
SELECT * FROM payments WHERE invoice_id = ANY(sqlc.arg(invoice_ids)::uuid[]) ORDER BY invoice_id, created_at, id;
