package tenancy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrTransactionLimit is TakeTransaction's answer for a tenant whose
// transactions this month are used up.
var ErrTransactionLimit = errors.New("tenancy: the tenant's transactions this month are used up")

// TakeTransaction counts one metered transaction of t in the month (UTC) of
// now, in its own database and in the caller's transaction tx: the counter
// landlord's POST /v1/transactions takes too, with the one conditional update
// that keeps the monthly limit whatever the concurrency, across every service.
// Take it in the transaction that writes what it meters: a rollback gives it
// back, and a retried write takes it again only if it commits again.
func TakeTransaction(ctx context.Context, tx pgx.Tx, t *Tenant, now time.Time) error {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var used *int64
	if err := tx.QueryRow(ctx, `SELECT take_transaction($1, $2)`, month, t.Plan.Limits.MaxTransactionsPerMonth).Scan(&used); err != nil {
		return fmt.Errorf("tenancy: take a transaction of %s: %w", t.Subdomain, err)
	}
	if used == nil {
		return ErrTransactionLimit
	}
	return nil
}
