package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/db"
)

// StripeEventInput is the part of a verified Stripe event landlord acts on.
type StripeEventInput struct {
	EventID           string
	Type              string
	ProviderInvoiceID string
	FailureCode       string
	FailureMessage    string
}

// StripeEventResult says what the event changed.
type StripeEventResult struct {
	Duplicate bool
	TenantID  uuid.UUID // zero when the invoice is not landlord's
	InvoiceID uuid.UUID
	Paid      bool // the invoice is paid now
}

// ApplyStripeEvent records the event id and its effect in one transaction, so
// each event is applied once: invoice.paid marks the invoice paid with a
// payment row; invoice.payment_failed records a failed payment, and never
// undoes a payment that an earlier (or out-of-order) event recorded. The
// invoice is read under its row lock, the lock Charge holds while it asks the
// provider, so an event that lands during a charge waits for it and then finds
// the invoice paid: a payment is recorded only when the invoice changes.
func (a *Billing) ApplyStripeEvent(ctx context.Context, in StripeEventInput) (StripeEventResult, error) {
	var res StripeEventResult
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		n, err := q.StripeEventInsert(ctx, db.StripeEventInsertParams{EventID: in.EventID, Type: in.Type})
		if err != nil {
			return fmt.Errorf("record stripe event %s: %w", in.EventID, err)
		}
		if n == 0 {
			res.Duplicate = true
			return nil
		}
		if in.ProviderInvoiceID == "" {
			return nil
		}
		inv, err := q.InvoiceGetByProviderIDForUpdate(ctx, &in.ProviderInvoiceID)
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil // not an invoice of landlord's
		}
		if err != nil {
			return fmt.Errorf("find invoice %s: %w", in.ProviderInvoiceID, err)
		}
		res.TenantID, res.InvoiceID, res.Paid = inv.TenantID, inv.ID, inv.Status == "paid"
		if inv.Status != "open" && inv.Status != "draft" {
			return nil // paid, void or uncollectible already: a late event changes nothing
		}
		status, action := "failed", "PAYMENT_FAILED"
		if in.Type == "invoice.paid" {
			status, action = "succeeded", "PAYMENT_SUCCEEDED"
			if n, err := q.InvoiceMarkPaid(ctx, inv.ID); err != nil {
				return fmt.Errorf("mark invoice paid: %w", err)
			} else if n != 1 {
				return fmt.Errorf("invoice %s changed under its lock", inv.Number)
			}
			res.Paid = true
		}
		if _, err := q.PaymentInsert(ctx, db.PaymentInsertParams{
			InvoiceID: inv.ID, TenantID: inv.TenantID, AmountCents: inv.TotalCents, Currency: inv.Currency, Status: status,
			Provider: "stripe", ProviderPaymentID: &in.EventID, FailureCode: nilIfEmpty(in.FailureCode),
			FailureMessage: nilIfEmpty(in.FailureMessage), IdempotencyKey: "stripe-event/" + in.EventID,
		}); err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		return audit(ctx, q, inv.TenantID, "stripe:"+in.EventID, action, map[string]any{"invoice": inv.Number, "event": in.Type})
	})
	return res, err
}
