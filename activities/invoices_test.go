package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/testenv"
)

func TestInvoicesUseCreditNumberPerYearAndChargeOnce(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	op := operatorActor(t, d)
	ctx := context.Background()
	tenants := &activities.Tenants{Pool: d.Pool}
	b := &activities.Billing{Pool: d.Pool, Provider: billing.Local{}}
	in := registerInput("payer")
	_, err := tenants.Register(ctx, in)
	require.NoError(t, err)
	_, err = b.CreateCustomer(ctx, activities.CustomerInput{TenantID: in.TenantID, Email: "a@example.com", Name: "A"})
	require.NoError(t, err)
	q := db.New(d.Pool)
	require.NoError(t, q.TenantAddCredit(ctx, db.TenantAddCreditParams{ID: in.TenantID, CreditBalanceCents: 7500}))
	line := func(c int64) []billing.Line { return []billing.Line{{Description: "x", AmountCents: c}} }
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

	// The credit covers the first invoice entirely: paid, nothing to charge.
	first, err := b.CreateInvoice(ctx, activities.InvoiceInput{TenantID: in.TenantID, Key: "k1", Currency: "USD", Lines: line(5000), Now: now})
	require.NoError(t, err)
	assert.Equal(t, "paid", first.Status)
	assert.Equal(t, int64(0), first.TotalCents)
	again, err := b.CreateInvoice(ctx, activities.InvoiceInput{TenantID: in.TenantID, Key: "k1", Currency: "USD", Lines: line(5000), Now: now})
	require.NoError(t, err)
	assert.Equal(t, first, again, "one invoice per key")

	// The rest of the credit goes to the second one.
	second, err := b.CreateInvoice(ctx, activities.InvoiceInput{TenantID: in.TenantID, Key: "k2", Currency: "USD", Lines: line(4900), Now: now})
	require.NoError(t, err)
	assert.Equal(t, int64(2400), second.TotalCents)
	assert.Equal(t, "INV-2026-000001", first.Number)
	assert.Equal(t, "INV-2026-000002", second.Number)
	next, err := b.CreateInvoice(ctx, activities.InvoiceInput{TenantID: in.TenantID, Key: "k3", Currency: "USD", Lines: line(100), Now: now.AddDate(0, 2, 0)})
	require.NoError(t, err)
	assert.Equal(t, "INV-2027-000001", next.Number, "numbering starts again each year")
	tn, err := q.TenantGet(ctx, in.TenantID)
	require.NoError(t, err)
	assert.Equal(t, int64(0), tn.CreditBalanceCents)

	// Charging: declined without a method; the same attempt twice charges once.
	require.NoError(t, b.FinalizeInvoice(ctx, second.ID))
	res, err := b.Charge(ctx, activities.ChargeInput{InvoiceID: second.ID, Attempt: "a1", Actor: "test"})
	require.NoError(t, err)
	assert.Equal(t, activities.ChargeResult{FailureCode: "no_payment_method", FailureMessage: "No payment method on file."}, res)
	require.NoError(t, b.SetPaymentMethod(ctx, activities.PaymentMethodInput{TenantID: in.TenantID, PaymentMethod: "pm_card_visa", Actor: op}))
	for range 2 {
		res, err = b.Charge(ctx, activities.ChargeInput{InvoiceID: second.ID, Attempt: "a2", Actor: "test"})
		require.NoError(t, err)
		assert.True(t, res.Paid)
	}
	payments, err := q.PaymentListByInvoice(ctx, second.ID)
	require.NoError(t, err)
	require.Len(t, payments, 2)
	assert.Equal(t, []string{"failed", "succeeded"}, []string{payments[0].Status, payments[1].Status})

	// Voiding an unpaid invoice gives its credit back; a paid one stays paid.
	require.NoError(t, q.TenantAddCredit(ctx, db.TenantAddCreditParams{ID: in.TenantID, CreditBalanceCents: 50}))
	fourth, err := b.CreateInvoice(ctx, activities.InvoiceInput{TenantID: in.TenantID, Key: "k4", Currency: "USD", Lines: line(300), Now: now})
	require.NoError(t, err)
	assert.Equal(t, int64(250), fourth.TotalCents)
	for range 2 {
		require.NoError(t, b.VoidInvoice(ctx, fourth.ID))
		require.NoError(t, b.VoidInvoice(ctx, second.ID))
	}
	tn, err = q.TenantGet(ctx, in.TenantID)
	require.NoError(t, err)
	assert.Equal(t, int64(50), tn.CreditBalanceCents)
	inv, err := q.InvoiceGet(ctx, second.ID)
	require.NoError(t, err)
	assert.Equal(t, "paid", inv.Status)
}

// heldProvider is the local provider whose payments wait until released.
type heldProvider struct {
	billing.Local
	paying  chan struct{}
	release chan struct{}
}

func (p heldProvider) PayInvoice(ctx context.Context, id, method, key string) (billing.Payment, error) {
	close(p.paying)
	<-p.release
	return p.Local.PayInvoice(ctx, id, method, key)
}

func TestAWebhookDuringAChargeRecordsOnePayment(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	op := operatorActor(t, d)
	ctx := context.Background()
	provider := heldProvider{paying: make(chan struct{}), release: make(chan struct{})}
	b := &activities.Billing{Pool: d.Pool, Provider: provider}
	in := registerInput("webhooked")
	_, err := (&activities.Tenants{Pool: d.Pool}).Register(ctx, in)
	require.NoError(t, err)
	_, err = b.CreateCustomer(ctx, activities.CustomerInput{TenantID: in.TenantID, Email: "a@example.com", Name: "A"})
	require.NoError(t, err)
	require.NoError(t, b.SetPaymentMethod(ctx, activities.PaymentMethodInput{TenantID: in.TenantID, PaymentMethod: "pm_card_visa", Actor: op}))
	inv, err := b.CreateInvoice(ctx, activities.InvoiceInput{TenantID: in.TenantID, Key: "k", Currency: "USD",
		Lines: []billing.Line{{Description: "Starter", AmountCents: 4900}}, Now: time.Now()})
	require.NoError(t, err)
	require.NoError(t, b.FinalizeInvoice(ctx, inv.ID))
	row, err := db.New(d.Pool).InvoiceGet(ctx, inv.ID)
	require.NoError(t, err)

	charged := make(chan error, 1)
	go func() {
		_, err := b.Charge(ctx, activities.ChargeInput{InvoiceID: inv.ID, Attempt: "first", Actor: "test"})
		charged <- err
	}()
	<-provider.paying // the charge holds the invoice and waits for the provider
	hooked := make(chan error, 1)
	go func() {
		_, err := b.ApplyStripeEvent(ctx, activities.StripeEventInput{EventID: "evt_during_charge", Type: "invoice.paid",
			ProviderInvoiceID: *row.ProviderInvoiceID})
		hooked <- err
	}()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var waiting int
		require.NoError(c, d.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
		require.Equal(c, 1, waiting, "the webhook waits for the charge")
	}, 10*time.Second, 10*time.Millisecond)
	close(provider.release)
	require.NoError(t, <-charged)
	require.NoError(t, <-hooked)

	var succeeded int
	var paid int64
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(amount_cents), 0) FROM payments
		WHERE invoice_id = $1 AND status = 'succeeded'`, inv.ID).Scan(&succeeded, &paid))
	assert.Equal(t, 1, succeeded, "one payment for one invoice")
	assert.Equal(t, int64(4900), paid)
}
