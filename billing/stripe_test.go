package billing

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/stripe/stripe-go/v76"

	"github.com/landlordhq/landlord/testenv"
)

// recorder sits between the adapter and stripe-mock and keeps each request's
// method, path and idempotency key.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) front(t *testing.T, target string) string {
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.Path+" key="+req.Header.Get("Idempotency-Key"))
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStripeCustomerLifecycleAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	base := rec.front(t, testenv.StripeMock(t))
	s := NewStripe("sk_test_123", base)
	tenant := uuid.New()

	id, err := s.CreateCustomer(t.Context(), Customer{TenantID: tenant, Email: "ana@example.com", Name: "Acme"}, "tenant/"+tenant.String()+"/create-customer")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id, "cus_"), id)
	require.NoError(t, s.DeleteCustomer(t.Context(), id))

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.seen, 2)
	assert.Equal(t, "POST /v1/customers key=tenant/"+tenant.String()+"/create-customer", rec.seen[0])
	assert.True(t, strings.HasPrefix(rec.seen[1], "DELETE /v1/customers/"+id), rec.seen[1])
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
