package billing

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v76"

	"github.com/landlordhq/landlord/testenv"
)

func TestStripeCustomerLifecycleAgainstStripeMock(t *testing.T) {
	rec := testenv.RecordStripe(t)
	s := NewStripe("sk_test_123", rec.URL)
	tenant := uuid.New()

	id, err := s.CreateCustomer(t.Context(), Customer{TenantID: tenant, Email: "ana@example.com", Name: "Acme"}, "tenant/"+tenant.String()+"/create-customer")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id, "cus_"), id)
	require.NoError(t, s.DeleteCustomer(t.Context(), id))

	seen := rec.Seen()
	require.Len(t, seen, 2)
	assert.Equal(t, "POST /v1/customers key=tenant/"+tenant.String()+"/create-customer", seen[0])
	assert.True(t, strings.HasPrefix(seen[1], "DELETE /v1/customers/"+id), seen[1])
}

func TestStripeErrorsSayWhetherARetryCanHelp(t *testing.T) {
	status := http.StatusBadRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"No such thing"}}`))
	}))
	defer srv.Close()
	s := NewStripe("sk_test_123", srv.URL)
	s.api.Customers.B.(*stripe.BackendImplementation).MaxNetworkRetries = 0

	_, err := s.CreateCustomer(t.Context(), Customer{TenantID: uuid.New(), Email: "a@example.com", Name: "A"}, "k1")
	assert.ErrorIs(t, err, ErrRejected)
	status = http.StatusServiceUnavailable
	_, err = s.CreateCustomer(t.Context(), Customer{TenantID: uuid.New(), Email: "a@example.com", Name: "A"}, "k2")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrRejected)
	status = http.StatusNotFound
	assert.NoError(t, s.DeleteCustomer(t.Context(), "cus_gone"), "a customer already gone counts as deleted")
}

func TestLocalCustomerIsDerivedFromTheTenant(t *testing.T) {
	id := uuid.MustParse("6bce1cd9-78ee-4e18-b93c-6df97916eaa2")
	a, err := Local{}.CreateCustomer(t.Context(), Customer{TenantID: id}, "k")
	require.NoError(t, err)
	b, _ := Local{}.CreateCustomer(t.Context(), Customer{TenantID: id}, "other")
	assert.Equal(t, "cus_local_6bce1cd978ee4e18b93c6df97916eaa2", a)
	assert.Equal(t, a, b)
}

func TestStripeInvoiceFlowAgainstStripeMock(t *testing.T) {
	rec := testenv.RecordStripe(t)
	s := NewStripe("sk_test_123", rec.URL)
	inv := Invoice{ID: uuid.New(), Number: "INV-2026-000001", CustomerID: "cus_123", Currency: "USD",
		Lines: []Line{{Description: "Unused time on Starter (monthly)", AmountCents: -2450}, {Description: "Remaining time on Professional (monthly)", AmountCents: 9950}}}

	require.NoError(t, s.SetPaymentMethod(t.Context(), "cus_123", "pm_card_visa"))
	providerID, err := s.FinalizeInvoice(t.Context(), inv)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(providerID, "in_"), providerID)
	p, err := s.PayInvoice(t.Context(), providerID, "pm_card_visa", "invoice/"+inv.ID.String()+"/pay/plan-change")
	require.NoError(t, err)
	assert.True(t, p.Succeeded)
	require.NoError(t, s.VoidInvoice(t.Context(), providerID))

	key := "invoice/" + inv.ID.String()
	assert.Equal(t, []string{
		"POST /v1/payment_methods/pm_card_visa/attach key=",
		"POST /v1/customers/cus_123 key=",
		"POST /v1/invoices key=" + key + "/create",
		"POST /v1/invoiceitems key=" + key + "/item/0",
		"POST /v1/invoiceitems key=" + key + "/item/1",
		"POST /v1/invoices/" + providerID + "/finalize key=" + key + "/finalize",
		"POST /v1/invoices/" + providerID + "/pay key=" + key + "/pay/plan-change",
		"POST /v1/invoices/" + providerID + "/void key=",
	}, landlordKeysOnly(rec.Seen()))
}

// landlordKeysOnly blanks the random idempotency keys stripe-go adds by itself
// to POSTs that landlord gives no key, keeping the keys landlord derives.
func landlordKeysOnly(seen []string) []string {
	out := make([]string, 0, len(seen))
	for _, s := range seen {
		if i := strings.Index(s, " key="); i >= 0 && !strings.Contains(s, " key=invoice/") && !strings.Contains(s, " key=tenant/") {
			s = s[:i] + " key="
		}
		out = append(out, s)
	}
	return out
}

func TestStripeCardDeclineIsAPaymentNotAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusPaymentRequired)
		_, _ = w.Write([]byte(`{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}`))
	}))
	defer srv.Close()
	p, err := NewStripe("sk_test_123", srv.URL).PayInvoice(t.Context(), "in_1", "pm_card_chargeDeclinedInsufficientFunds", "k")
	require.NoError(t, err)
	assert.False(t, p.Succeeded)
	assert.Equal(t, "insufficient_funds", p.FailureCode)
	assert.Equal(t, "Your card has insufficient funds.", p.FailureMessage)
}

func TestLocalProviderFollowsStripeTestCards(t *testing.T) {
	for pm, want := range map[string]string{"pm_card_visa": "", "pm_card_chargeDeclined": "card_declined",
		"pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds", "": "no_payment_method", "pm_unknown": "resource_missing"} {
		p, err := Local{}.PayInvoice(t.Context(), "in_local_1", pm, "invoice/x/pay/1")
		require.NoError(t, err)
		assert.Equal(t, want == "", p.Succeeded, pm)
		assert.Equal(t, want, p.FailureCode, pm)
	}
	a, _ := Local{}.PayInvoice(t.Context(), "in", "pm_card_visa", "k1")
	b, _ := Local{}.PayInvoice(t.Context(), "in", "pm_card_visa", "k1")
	assert.Equal(t, a.ProviderID, b.ProviderID, "one key, one payment id")
}
