package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/metrics"
)

// InvoiceInput is an invoice to create.
type InvoiceInput struct {
	TenantID    uuid.UUID
	Key         string // one invoice per key, however often the activity runs
	Currency    string
	Lines       []billing.Line
	PeriodStart *time.Time
	PeriodEnd   *time.Time
	Now         time.Time // numbering year
}

// InvoiceRef is a created invoice.
type InvoiceRef struct {
	ID         uuid.UUID
	Number     string
	Status     string
	TotalCents int64
}

// CreateInvoice writes a draft invoice with its lines, numbered within the
// year, taking what it can from the tenant's credit balance; an invoice the
// balance covers entirely is paid at once. The key is unique: a rerun returns
// the invoice of the first run.
func (a *Billing) CreateInvoice(ctx context.Context, in InvoiceInput) (InvoiceRef, error) {
	var ref InvoiceRef
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		var err error
		ref, err = createInvoice(ctx, q, in, "billing")
		return err
	})
	return ref, err
}

// createInvoice is CreateInvoice inside the caller's transaction.
func createInvoice(ctx context.Context, q *db.Queries, in InvoiceInput, actor string) (InvoiceRef, error) {
	if inv, err := q.InvoiceGetByKey(ctx, in.Key); err == nil {
		return InvoiceRef{ID: inv.ID, Number: inv.Number, Status: inv.Status, TotalCents: inv.TotalCents}, nil
	} else if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return InvoiceRef{}, fmt.Errorf("look up invoice %s: %w", in.Key, err)
	}
	var subtotal int64
	for _, l := range in.Lines {
		subtotal += l.AmountCents
	}
	used, err := q.TenantUseCredit(ctx, db.TenantUseCreditParams{TenantID: in.TenantID, MaxCents: max(subtotal, 0)})
	if err != nil {
		return InvoiceRef{}, fmt.Errorf("use credit of %s: %w", in.TenantID, err)
	}
	year := in.Now.UTC().Year()
	n, err := q.InvoiceNextNumber(ctx, int32(year))
	if err != nil {
		return InvoiceRef{}, fmt.Errorf("number invoice: %w", err)
	}
	ref := InvoiceRef{ID: uuid.New(), Number: fmt.Sprintf("INV-%d-%06d", year, n), Status: "draft", TotalCents: subtotal - used}
	if _, err := q.InvoiceInsert(ctx, db.InvoiceInsertParams{
		ID: ref.ID, Number: ref.Number, TenantID: in.TenantID, Currency: in.Currency, SubtotalCents: subtotal,
		CreditAppliedCents: used, TotalCents: ref.TotalCents, PeriodStart: in.PeriodStart, PeriodEnd: in.PeriodEnd,
		IdempotencyKey: in.Key,
	}); err != nil {
		return InvoiceRef{}, fmt.Errorf("insert invoice: %w", err)
	}
	for _, l := range in.Lines {
		if err := q.InvoiceLineInsert(ctx, db.InvoiceLineInsertParams{InvoiceID: ref.ID, Description: l.Description,
			AmountCents: l.AmountCents, PeriodStart: &l.PeriodStart, PeriodEnd: &l.PeriodEnd}); err != nil {
			return InvoiceRef{}, fmt.Errorf("insert invoice line: %w", err)
		}
	}
	if ref.TotalCents == 0 {
		if _, err := q.InvoiceMarkPaid(ctx, ref.ID); err != nil {
			return InvoiceRef{}, fmt.Errorf("mark invoice paid: %w", err)
		}
		ref.Status = "paid"
	}
	return ref, audit(ctx, q, in.TenantID, actor, "INVOICE_CREATED", map[string]any{
		"invoice": ref.Number, "subtotal_cents": subtotal, "credit_applied_cents": used, "total_cents": ref.TotalCents})
}

// FinalizeInvoice creates a draft invoice at the payment provider and marks it
// open. The provider's keys derive from the invoice id, and an invoice already
// open is left alone, so a rerun does nothing twice.
func (a *Billing) FinalizeInvoice(ctx context.Context, invoiceID uuid.UUID) error {
	q := db.New(a.Pool)
	inv, err := q.InvoiceGet(ctx, invoiceID)
	if err != nil {
		return fmt.Errorf("load invoice %s: %w", invoiceID, db.NotFound(err))
	}
	if inv.Status != "draft" {
		return nil
	}
	t, err := q.TenantGet(ctx, inv.TenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", inv.TenantID, err)
	}
	if t.BillingCustomerID == nil {
		return permanent(ErrInconsistency, "the tenant has no billing customer", nil)
	}
	rows, err := q.InvoiceLinesFor(ctx, []uuid.UUID{inv.ID})
	if err != nil {
		return fmt.Errorf("load invoice lines: %w", err)
	}
	lines := make([]billing.Line, 0, len(rows)+1)
	for _, l := range rows {
		lines = append(lines, billing.Line{Description: l.Description, AmountCents: l.AmountCents})
	}
	if inv.CreditAppliedCents > 0 {
		lines = append(lines, billing.Line{Description: "Credit balance applied", AmountCents: -inv.CreditAppliedCents})
	}
	providerID, err := a.Provider.FinalizeInvoice(ctx, billing.Invoice{ID: inv.ID, Number: inv.Number,
		CustomerID: *t.BillingCustomerID, Currency: inv.Currency, Lines: lines})
	if errors.Is(err, billing.ErrRejected) {
		return permanent(ErrRejected, err.Error(), nil)
	}
	if err != nil {
		return err
	}
	if err := q.InvoiceFinalize(ctx, db.InvoiceFinalizeParams{ID: inv.ID, ProviderInvoiceID: &providerID}); err != nil {
		return fmt.Errorf("mark invoice %s open: %w", inv.Number, err)
	}
	return nil
}

// ChargeInput is one attempt to collect an invoice.
type ChargeInput struct {
	InvoiceID uuid.UUID
	Attempt   string // part of the idempotency key: one charge per invoice and attempt
	Actor     string
}

// ChargeResult is how a charge ended.
type ChargeResult struct {
	Paid           bool
	FailureCode    string
	FailureMessage string
}

// Charge collects an open invoice with the tenant's payment method. The
// invoice row stays locked while the provider is asked, so two attempts on one
// invoice never both charge; the provider call and the payment row share the
// key invoice/<id>/pay/<attempt>, so a rerun of one attempt finds its payment
// and returns its outcome. A paid invoice is not charged again.
func (a *Billing) Charge(ctx context.Context, in ChargeInput) (ChargeResult, error) {
	if err := a.Delay.pause(ctx, "charge_invoice"); err != nil {
		return ChargeResult{}, err
	}
	var res ChargeResult
	var recorded string // the status of the payment this run recorded
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		inv, err := q.InvoiceGetForUpdate(ctx, in.InvoiceID)
		if err != nil {
			return fmt.Errorf("load invoice %s: %w", in.InvoiceID, db.NotFound(err))
		}
		switch inv.Status {
		case "paid":
			res = ChargeResult{Paid: true}
			return nil
		case "open":
		default:
			return permanent(ErrInvalidInput, "invoice "+inv.Number+" is "+inv.Status, nil)
		}
		key := "invoice/" + inv.ID.String() + "/pay/" + in.Attempt
		if p, err := q.PaymentGetByKey(ctx, key); err == nil {
			res = ChargeResult{Paid: p.Status == "succeeded", FailureCode: deref(p.FailureCode), FailureMessage: deref(p.FailureMessage)}
			return nil
		}
		t, err := q.TenantGet(ctx, inv.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", inv.TenantID, err)
		}
		p, err := a.Provider.PayInvoice(ctx, deref(inv.ProviderInvoiceID), deref(t.PaymentMethod), key)
		if errors.Is(err, billing.ErrRejected) {
			p, err = billing.Payment{FailureCode: "rejected", FailureMessage: err.Error()}, nil
		}
		if err != nil {
			return err
		}
		res = ChargeResult{Paid: p.Succeeded, FailureCode: p.FailureCode, FailureMessage: p.FailureMessage}
		status, action := "failed", "PAYMENT_FAILED"
		if p.Succeeded {
			status, action = "succeeded", "PAYMENT_SUCCEEDED"
		}
		if _, err := q.PaymentInsert(ctx, db.PaymentInsertParams{
			InvoiceID: inv.ID, TenantID: inv.TenantID, AmountCents: inv.TotalCents, Currency: inv.Currency, Status: status,
			Provider: a.Provider.Name(), ProviderPaymentID: &p.ProviderID, FailureCode: nilIfEmpty(p.FailureCode),
			FailureMessage: nilIfEmpty(p.FailureMessage), IdempotencyKey: key,
		}); err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		if p.Succeeded {
			if _, err := q.InvoiceMarkPaid(ctx, inv.ID); err != nil {
				return fmt.Errorf("mark invoice paid: %w", err)
			}
		}
		recorded = status
		return audit(ctx, q, inv.TenantID, in.Actor, action, map[string]any{
			"invoice": inv.Number, "amount_cents": inv.TotalCents, "failure_code": p.FailureCode})
	})
	if err == nil && recorded != "" {
		metrics.Payments.WithLabelValues(recorded).Inc()
	}
	return res, err
}

// VoidInvoice voids an unpaid invoice, at the provider too, and gives the
// credit it had used back to the tenant; a void or paid invoice is left alone.
func (a *Billing) VoidInvoice(ctx context.Context, invoiceID uuid.UUID) error {
	q := db.New(a.Pool)
	inv, err := q.InvoiceGet(ctx, invoiceID)
	if err != nil {
		return fmt.Errorf("load invoice %s: %w", invoiceID, db.NotFound(err))
	}
	if inv.Status != "draft" && inv.Status != "open" {
		return nil
	}
	if inv.ProviderInvoiceID != nil {
		if err := a.Provider.VoidInvoice(ctx, *inv.ProviderInvoiceID); err != nil && !errors.Is(err, billing.ErrRejected) {
			return err
		}
	}
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		credit, err := q.InvoiceVoid(ctx, inv.ID)
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("void invoice %s: %w", inv.Number, err)
		}
		if err := q.TenantAddCredit(ctx, db.TenantAddCreditParams{ID: inv.TenantID, CreditBalanceCents: credit}); err != nil {
			return fmt.Errorf("return credit: %w", err)
		}
		return audit(ctx, q, inv.TenantID, "billing", "INVOICE_VOIDED", map[string]any{"invoice": inv.Number, "credit_returned_cents": credit})
	})
}

// PaymentMethodInput is a new payment method for a tenant.
type PaymentMethodInput struct {
	TenantID      uuid.UUID
	PaymentMethod string
	Actor         string
}

// SetPaymentMethod makes the method the tenant's default at the provider and
// stores it; setting the same method again changes nothing.
func (a *Billing) SetPaymentMethod(ctx context.Context, in PaymentMethodInput) error {
	q := db.New(a.Pool)
	if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.Operator, lifecycle.TenantAdmin); err != nil {
		return err
	}
	t, err := q.TenantGet(ctx, in.TenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
	}
	if t.BillingCustomerID == nil {
		return permanent(ErrInconsistency, "the tenant has no billing customer", nil)
	}
	err = a.Provider.SetPaymentMethod(ctx, *t.BillingCustomerID, in.PaymentMethod)
	if errors.Is(err, billing.ErrRejected) {
		return permanent(ErrInvalidInput, err.Error(), nil, map[string]string{"payment_method": "was refused by the payment provider"})
	}
	if err != nil {
		return err
	}
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if _, err := q.TenantSetPaymentMethod(ctx, db.TenantSetPaymentMethodParams{ID: in.TenantID, PaymentMethod: &in.PaymentMethod}); err != nil {
			return fmt.Errorf("store payment method: %w", err)
		}
		return audit(ctx, q, in.TenantID, in.Actor, "PAYMENT_METHOD_UPDATED", map[string]any{"payment_method": in.PaymentMethod})
	})
}

// OpenInvoices lists what the tenant owes, oldest first: open invoices, and
// drafts (the caller finalizes them before charging).
func (a *Billing) OpenInvoices(ctx context.Context, tenantID uuid.UUID) ([]uuid.UUID, error) {
	rows, err := db.New(a.Pool).InvoiceListOpenByTenant(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list open invoices of %s: %w", tenantID, err)
	}
	ids := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return ids, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
