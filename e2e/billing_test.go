package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// midPeriod moves the tenant's current period so that about half of it is
// left, records that the month was paid for in full, and returns it.
func (s *stack) midPeriod(id uuid.UUID) (start, end time.Time) {
	s.t.Helper()
	require.NoError(s.t, s.db.Pool.QueryRow(s.t.Context(), `
		UPDATE tenants SET current_period_start = date_trunc('second', now()) - interval '15 days',
		                   current_period_end = date_trunc('second', now()) - interval '15 days' + interval '1 month'
		WHERE id = $1 RETURNING current_period_start, current_period_end`, id).Scan(&start, &end))
	_, err := s.db.Pool.Exec(s.t.Context(), `
		INSERT INTO invoices (id, number, tenant_id, status, currency, subtotal_cents, total_cents, period_start, period_end,
		                      idempotency_key, finalized_at, paid_at)
		SELECT i, 'INV-TEST-' || left(i::text, 8), t.id, 'paid', p.currency, p.monthly_price_cents, p.monthly_price_cents, $2, $3,
		       'test/period/' || i, now(), now()
		FROM tenants t JOIN subscription_plans p USING (plan_code), gen_random_uuid() i WHERE t.id = $1`, id, start, end)
	require.NoError(s.t, err)
	return start, end
}

func (s *stack) setPaymentMethod(id uuid.UUID, pm string) map[string]any {
	s.t.Helper()
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", s.operator, map[string]any{"reason": "asked by the customer", "payment_method": pm})
	require.Equal(s.t, http.StatusOK, code, out)
	return out
}

func (s *stack) tenantRow(id uuid.UUID) db.Tenant {
	s.t.Helper()
	t, err := db.New(s.db.Pool).TenantGet(s.t.Context(), id)
	require.NoError(s.t, err)
	return t
}

func lineAmounts(inv map[string]any) []int64 {
	out := []int64{}
	for _, l := range inv["lines"].([]any) {
		out = append(out, int64(l.(map[string]any)["amount_cents"].(float64)))
	}
	return out
}

func cents(v any) int64 { return int64(v.(float64)) }

func effectiveAt(t *testing.T, out map[string]any) time.Time {
	at, err := time.Parse(time.RFC3339, out["change"].(map[string]any)["effective_at"].(string))
	require.NoError(t, err)
	return at
}

func TestUpgradeMidPeriodIsProratedInvoicedChargedAndAudited(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("upgrader", "starter")
	s.setPaymentMethod(id, "pm_card_visa")
	start, end := s.midPeriod(id)

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "professional"})
	require.Equal(t, http.StatusOK, code, out)
	change := out["change"].(map[string]any)
	assert.Equal(t, "starter", change["from"])
	assert.Equal(t, "professional", change["to"])
	assert.Equal(t, "upgrade", change["direction"])
	assert.Equal(t, false, change["scheduled"])

	at := effectiveAt(t, out)
	credit, charge := billing.Prorate(4900, start, end, at), billing.Prorate(19900, start, end, at)
	assert.InDelta(t, 2450, credit, 60, "about half of the starter month is left")
	inv := out["invoice"].(map[string]any)
	assert.Equal(t, []int64{-credit, charge}, lineAmounts(inv))
	assert.Equal(t, charge-credit, cents(inv["total_cents"]))
	assert.Equal(t, "paid", inv["status"])
	assert.Regexp(t, fmt.Sprintf(`^INV-%d-\d{6}$`, time.Now().UTC().Year()), inv["number"])

	tenant := out["tenant"].(map[string]any)
	assert.Equal(t, "professional", tenant["plan_code"])
	assert.Equal(t, float64(3), tenant["limits"].(map[string]any)["max_companies"], "the new limits apply at once")

	// One payment, the audit row with the proration, the email.
	var payments int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM payments WHERE tenant_id = $1 AND status = 'succeeded'`, id).Scan(&payments))
	assert.Equal(t, 1, payments)
	var details []byte
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'PLAN_UPGRADED'`, id).Scan(&details))
	var audit map[string]any
	require.NoError(t, json.Unmarshal(details, &audit))
	assert.Equal(t, "starter", audit["old_plan"])
	assert.Equal(t, "professional", audit["new_plan"])
	assert.Equal(t, map[string]any{"credit_cents": float64(credit), "charge_cents": float64(charge),
		"net_cents": float64(charge - credit), "credit_balance_added_cents": float64(0)}, audit["proration"])
	var emails int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'plan_changed'`, id).Scan(&emails))
	assert.Equal(t, 1, emails)

	// The tenant admin reads its invoices; another tenant's admin cannot.
	code, list := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/invoices", admin, nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, list["invoices"], 2, "the month's and the upgrade's")
	assert.Equal(t, inv["number"], list["invoices"].([]any)[0].(map[string]any)["number"], "newest first")
	_, other := s.createTenant("snooper", "starter")
	code, _ = s.call(http.MethodGet, "/v1/invoices/"+inv["id"].(string), other, nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/invoices", other, nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, got := s.call(http.MethodGet, "/v1/invoices/"+inv["id"].(string), admin, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, inv["number"], got["number"])
}

func TestDeclinedUpgradeLeavesTheTenantAsItWas(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("decliner", "starter")
	s.setPaymentMethod(id, "pm_card_chargeDeclined")
	before := s.tenantRow(id)

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", s.operator, map[string]any{"reason": "asked by the customer", "plan_code": "enterprise"})
	require.Equal(t, http.StatusPaymentRequired, code, out)
	assert.Equal(t, "payment_failed", errorCode(out))
	assert.Equal(t, "card_declined", out["error"].(map[string]any)["details"].(map[string]any)["failure_code"])

	after := s.tenantRow(id)
	assert.Equal(t, before.PlanCode, after.PlanCode)
	assert.Equal(t, before.MaxCompanies, after.MaxCompanies)
	assert.Equal(t, before.CreditBalanceCents, after.CreditBalanceCents)
	var status string
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT status FROM invoices WHERE tenant_id = $1`, id).Scan(&status))
	assert.Equal(t, "void", status)
	assert.Empty(t, s.actions(id, "PLAN_UPGRADED", "PLAN_CHANGE_REVERTED"), "nothing was granted, so nothing was taken back")
	// The invoice shows the declined attempt, and why, to the operator and to the tenant's admin.
	for _, tok := range []string{s.operator, admin} {
		code, out = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/invoices", tok, nil)
		require.Equal(t, http.StatusOK, code, out)
		payments := out["invoices"].([]any)[0].(map[string]any)["payments"].([]any)
		require.Len(t, payments, 1)
		assert.Equal(t, "failed", payments[0].(map[string]any)["status"])
		assert.Equal(t, "card_declined", payments[0].(map[string]any)["failure_code"])
	}
}

func TestDowngradesWaitForPeriodEndOrCreditTheBalance(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("downer", "professional")
	s.setPaymentMethod(id, "pm_card_visa")
	start, end := s.midPeriod(id)

	// By default a downgrade waits for the end of the period.
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, true, out["change"].(map[string]any)["scheduled"])
	assert.True(t, end.Equal(effectiveAt(t, out)), "effective at the period end")
	assert.Nil(t, out["invoice"])
	tn := s.tenantRow(id)
	assert.Equal(t, "professional", tn.PlanCode)
	assert.Equal(t, "starter", *tn.PendingPlanCode)

	// Immediately: the unused difference goes to the credit balance.
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter", "effective": "immediate"})
	require.Equal(t, http.StatusOK, code, out)
	at := effectiveAt(t, out)
	credit := billing.Prorate(19900, start, end, at) - billing.Prorate(4900, start, end, at)
	assert.InDelta(t, 7500, credit, 300)
	assert.Equal(t, float64(credit), out["change"].(map[string]any)["credit_cents"])
	assert.Nil(t, out["invoice"])
	tn = s.tenantRow(id)
	assert.Equal(t, "starter", tn.PlanCode)
	assert.Nil(t, tn.PendingPlanCode, "the immediate change replaces the scheduled one")
	assert.Equal(t, credit, tn.CreditBalanceCents)

	// The next invoice uses the credit first.
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "professional"})
	require.Equal(t, http.StatusOK, code, out)
	inv := out["invoice"].(map[string]any)
	subtotal := cents(inv["subtotal_cents"])
	used := min(credit, subtotal)
	assert.Equal(t, used, cents(inv["credit_applied_cents"]))
	assert.Equal(t, subtotal-used, cents(inv["total_cents"]))
	assert.Equal(t, credit-used, s.tenantRow(id).CreditBalanceCents)
}

func TestDowngradeThatDoesNotFitIsRefusedWithEachViolation(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.createTenant("crowded", "professional")
	conn := s.tenantConn(t, tenantdb.Name(id))
	_, err := conn.Exec(t.Context(), `INSERT INTO companies (code, name) VALUES ('second', 'Second Co')`)
	require.NoError(t, err)
	_, err = conn.Exec(t.Context(), `INSERT INTO users (company_id, email, name)
		SELECT id, 'user' || g || '@crowded.example.com', 'User' FROM companies, generate_series(1, 5) g WHERE code = 'default'`)
	require.NoError(t, err)

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", s.operator, map[string]any{"reason": "asked by the customer", "plan_code": "starter"})
	require.Equal(t, http.StatusUnprocessableEntity, code, out)
	assert.Equal(t, "invalid_input", errorCode(out))
	violations := out["error"].(map[string]any)["details"].(map[string]any)["violations"]
	assert.ElementsMatch(t, []any{
		map[string]any{"limit": "max_companies", "used": float64(2), "allowed": float64(1)},
		map[string]any{"limit": "max_users_per_company", "used": float64(6), "allowed": float64(5)},
		map[string]any{"limit": "max_total_users", "used": float64(6), "allowed": float64(5)},
	}, violations)
	tn := s.tenantRow(id)
	assert.Equal(t, "professional", tn.PlanCode)
	assert.Nil(t, tn.PendingPlanCode)
}

func TestTrialTenantChoosesAPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.signup(signupBody("trialist"))
	s.waitStatus(id, "trial")

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter", "billing_cycle": "annual"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, true, out["change"].(map[string]any)["scheduled"])
	tn := s.tenantRow(id)
	assert.True(t, tn.TrialEndsAt.Equal(effectiveAt(t, out)), "billing starts when the trial ends")
	assert.Equal(t, "trial", string(tn.Status))
	assert.Equal(t, "starter", *tn.PendingPlanCode)
	assert.Equal(t, "annual", *tn.PendingBillingCycle)

	// Without a payment method an immediate start is declined and the trial goes on.
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter", "effective": "immediate"})
	require.Equal(t, http.StatusPaymentRequired, code, out)
	assert.Equal(t, "trial", string(s.tenantRow(id).Status))

	s.setPaymentMethod(id, "pm_card_visa")
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter", "effective": "immediate"})
	require.Equal(t, http.StatusOK, code, out)
	inv := out["invoice"].(map[string]any)
	assert.Equal(t, []int64{4900}, lineAmounts(inv), "the first full month")
	assert.Equal(t, "paid", inv["status"])
	tn = s.tenantRow(id)
	assert.Equal(t, "active", string(tn.Status))
	assert.Equal(t, tn.CurrentPeriodStart.AddDate(0, 1, 0), *tn.CurrentPeriodEnd)
	hist, err := db.New(s.db.Pool).TenantStatusHistoryList(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "active", string(hist[len(hist)-1].ToStatus))
}

func TestPlanChangeRefusesBadRequests(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("picky", "starter")
	path := "/v1/tenants/" + id.String() + "/plan"
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"plan_code": "starter"}, ""},
		{map[string]any{"plan_code": "gold"}, "plan_code"},
		{map[string]any{"plan_code": "trial"}, "plan_code"},
		{map[string]any{"plan_code": "professional", "billing_cycle": "weekly"}, "billing_cycle"},
		{map[string]any{"plan_code": "professional", "effective": "tomorrow"}, "effective"},
		{map[string]any{}, "plan_code"},
	}
	for _, c := range cases {
		code, out := s.call(http.MethodPost, path, admin, c.body)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%v: %v", c.body, out)
		if c.field != "" {
			assert.Contains(t, out["error"].(map[string]any)["details"], c.field, c.body)
		}
	}
	code, _ := s.call(http.MethodPost, "/v1/tenants/"+uuid.NewString()+"/plan", admin, map[string]any{"plan_code": "professional"})
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "'; DROP"})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Equal(t, "starter", s.tenantRow(id).PlanCode)
}

func TestConcurrentPlanChangesOneWinsOneConflicts(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{delay: activities.StepDelay{"charge_invoice": 2 * time.Second}})
	id, _ := s.createTenant("racer", "starter")
	s.setPaymentMethod(id, "pm_card_visa")

	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, plan := range []string{"professional", "enterprise"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", s.operator, map[string]any{"reason": "asked by the customer", "plan_code": plan})
		}()
	}
	wg.Wait()
	assert.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, codes)
	var invoices int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM invoices WHERE tenant_id = $1`, id).Scan(&invoices))
	assert.Equal(t, 1, invoices)
	want := "professional"
	if codes[1] == http.StatusOK {
		want = "enterprise"
	}
	assert.Equal(t, want, s.tenantRow(id).PlanCode)
}

// openInvoice leaves an open (finalized, unpaid) invoice for the tenant, as a
// failed renewal would.
func (s *stack) openInvoice(id uuid.UUID, amount int64) activities.InvoiceRef {
	s.t.Helper()
	b := &activities.Billing{Pool: s.db.Pool, Provider: billing.Local{}}
	ref, err := b.CreateInvoice(s.t.Context(), activities.InvoiceInput{TenantID: id, Key: "test/" + uuid.NewString(), Currency: "USD",
		Lines: []billing.Line{{Description: "Renewal", AmountCents: amount}}, Now: time.Now()})
	require.NoError(s.t, err)
	require.NoError(s.t, b.FinalizeInvoice(s.t.Context(), ref.ID))
	return ref
}

func TestNewPaymentMethodPaysOpenInvoices(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.createTenant("debtor", "starter")
	inv := s.openInvoice(id, 4900)

	out := s.setPaymentMethod(id, "pm_card_chargeDeclined")
	assert.Equal(t, false, out["retried_invoices"].([]any)[0].(map[string]any)["paid"])
	out = s.setPaymentMethod(id, "pm_card_visa")
	retried := out["retried_invoices"].([]any)
	require.Len(t, retried, 1)
	assert.Equal(t, inv.ID.String(), retried[0].(map[string]any)["invoice_id"])
	assert.Equal(t, true, retried[0].(map[string]any)["paid"])
	code, got := s.call(http.MethodGet, "/v1/invoices/"+inv.ID.String(), s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "paid", got["status"])
	assert.Equal(t, "pm_card_visa", *s.tenantRow(id).PaymentMethod)
	var failed, succeeded int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'succeeded')
		FROM payments WHERE invoice_id = $1`, inv.ID).Scan(&failed, &succeeded))
	assert.Equal(t, []int{1, 1}, []int{failed, succeeded})
}

// postWebhook sends a Stripe event, signed with secret at instant at.
func (s *stack) postWebhook(eventID, typ, providerInvoiceID, secret string, at time.Time) int {
	s.t.Helper()
	code, err := postWebhookTo(s.url, eventID, typ, providerInvoiceID, secret, at)
	require.NoError(s.t, err)
	return code
}

// postWebhookTo sends a Stripe event to the API at base, signed with secret at instant at.
func postWebhookTo(base, eventID, typ, providerInvoiceID, secret string, at time.Time) (int, error) {
	payload, _ := json.Marshal(map[string]any{"id": eventID, "object": "event", "type": typ, "api_version": "2023-10-16",
		"data": map[string]any{"object": map[string]any{"id": providerInvoiceID, "object": "invoice"}}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/webhooks/stripe", bytes.NewReader(payload))
	if secret != "" {
		req.Header.Set("Stripe-Signature", signed.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestStripeWebhooksAreVerifiedAppliedOnceAndNeverUndoAPayment(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.createTenant("hooked", "starter")
	ref := s.openInvoice(id, 4900)
	inv, err := db.New(s.db.Pool).InvoiceGet(t.Context(), ref.ID)
	require.NoError(t, err)
	providerID := *inv.ProviderInvoiceID
	count := func(q string) int {
		var n int
		require.NoError(t, s.db.Pool.QueryRow(context.Background(), q, ref.ID).Scan(&n))
		return n
	}

	// Missing, wrong and stale signatures: 400 and nothing recorded.
	assert.Equal(t, http.StatusBadRequest, s.postWebhook("evt_nosig", "invoice.paid", providerID, "", time.Now()))
	assert.Equal(t, http.StatusBadRequest, s.postWebhook("evt_wrong", "invoice.paid", providerID, "whsec_other", time.Now()))
	assert.Equal(t, http.StatusBadRequest, s.postWebhook("evt_stale", "invoice.paid", providerID, webhookSecret, time.Now().Add(-time.Hour)))
	var events int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM stripe_events`).Scan(&events))
	assert.Zero(t, events)

	// invoice.paid, delivered twice: paid, one payment.
	for range 2 {
		assert.Equal(t, http.StatusOK, s.postWebhook("evt_paid_1", "invoice.paid", providerID, webhookSecret, time.Now()))
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, count(`SELECT count(*) FROM invoices WHERE id = $1 AND status = 'paid'`))
	}, 30*time.Second, 50*time.Millisecond)

	// A failure that arrives late does not undo the payment.
	assert.Equal(t, http.StatusOK, s.postWebhook("evt_failed_0", "invoice.payment_failed", providerID, webhookSecret, time.Now()))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var n int
		require.NoError(c, s.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM stripe_events`).Scan(&n))
		require.Equal(c, 2, n)
	}, 30*time.Second, 50*time.Millisecond)
	assert.Equal(t, 1, count(`SELECT count(*) FROM invoices WHERE id = $1 AND status = 'paid'`))
	assert.Equal(t, 1, count(`SELECT count(*) FROM payments WHERE invoice_id = $1`))
}

func TestADeclinedUpgradeGrantsNoLimitEvenWhileItIsCharged(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{delay: activities.StepDelay{"charge_invoice": 3 * time.Second}, workflowWait: 30 * time.Second})
	id, admin := s.signup(signupBody("limit-buyer"))
	s.waitStatus(id, "trial")
	s.setPaymentMethod(id, "pm_card_chargeDeclined")

	changed := make(chan int, 1)
	go func() {
		code, _ := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "enterprise", "effective": "immediate"})
		changed <- code
	}()
	// The invoice is open: the charge is under way. The trial's one company is all it may have.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, s.count(`SELECT count(*) FROM invoices WHERE tenant_id = $1 AND status = 'open'`, id))
	}, 30*time.Second, 20*time.Millisecond)
	codes := make(chan int, 10)
	for i := range 10 {
		go func() {
			code, _ := s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": fmt.Sprintf("racer%d", i), "name": "Racer"})
			codes <- code
		}()
	}
	for range 10 {
		assert.Equal(t, http.StatusForbidden, <-codes, "no limit is granted before it is paid")
	}
	assert.Equal(t, http.StatusPaymentRequired, <-changed)
	tn := s.tenantRow(id)
	assert.Equal(t, "trial", tn.PlanCode)
	assert.Equal(t, int32(1), tn.MaxCompanies)
	conn := s.tenantConn(t, tenantdb.Name(id))
	var companies int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM companies`).Scan(&companies))
	assert.Equal(t, 1, companies)
}

func TestADowngradeCreditsOnlyWhatThePeriodWasPaid(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	// An operator-created paid tenant has a period but no invoice: nothing was paid for it.
	id, _ := s.createTenant("never-invoiced", "professional")
	s.setPaymentMethod(id, "pm_card_visa")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", s.operator, map[string]any{"reason": "asked by the customer", "plan_code": "starter", "effective": "immediate"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, int64(0), s.tenantRow(id).CreditBalanceCents, "no credit for a period never paid")
	for _, l := range lineAmounts(out["invoice"].(map[string]any)) {
		assert.Positive(t, l, "no credit line")
	}
}

// TestAPlanChangePreviewIsItsInvoiceAndChangesNothing: the preview runs the
// plan change's own quote and writes nothing; the change made next invoices
// the same lines (to the cent, but for the seconds between the two).
func TestAPlanChangePreviewIsItsInvoiceAndChangesNothing(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("preview-co", "starter")
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)
	before := s.tenantRow(id)

	code, preview := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan/preview", admin, map[string]any{"plan_code": "professional"})
	require.Equal(t, http.StatusOK, code, preview)
	assert.Equal(t, "upgrade", preview["direction"])
	assert.Equal(t, false, preview["scheduled"])
	lines := preview["lines"].([]any)
	require.NotEmpty(t, lines, "remaining time on the new plan (an operator's tenant has no paid time on the old one to credit)")
	assert.Positive(t, preview["total_cents"])
	after := s.tenantRow(id)
	assert.Equal(t, before.PlanCode, after.PlanCode)
	assert.Equal(t, before.BillingVersion, after.BillingVersion, "no change of billing")
	assert.Nil(t, after.BillingHold, "no hold taken")
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM invoices WHERE tenant_id = $1`, id), "no invoice")

	code, change := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "professional"})
	require.Equal(t, http.StatusOK, code, change)
	invoice := change["invoice"].(map[string]any)
	got := invoice["lines"].([]any)
	require.Len(t, got, len(lines))
	for i := range lines {
		p, g := lines[i].(map[string]any), got[i].(map[string]any)
		assert.Equal(t, p["description"], g["description"])
		assert.InDelta(t, p["amount_cents"], g["amount_cents"], 1, "the seconds between preview and change")
	}
	assert.InDelta(t, preview["total_cents"], invoice["total_cents"], 2)

	// A downgrade waits for the period's end: nothing is invoiced now.
	code, preview = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan/preview", admin, map[string]any{"plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, preview)
	assert.Equal(t, true, preview["scheduled"])
	assert.Empty(t, preview["lines"])
	assert.Equal(t, float64(0), preview["total_cents"])
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan/preview", admin, map[string]any{"plan_code": "professional"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
}
