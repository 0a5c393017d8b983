package e2e

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/tenantdb"
)

func (s *stack) defaultCompany(tok string) string {
	s.t.Helper()
	code, out := s.call(http.MethodGet, "/v1/companies", tok, nil)
	require.Equal(s.t, http.StatusOK, code, out)
	for _, c := range out["companies"].([]any) {
		if c.(map[string]any)["is_default"] == true {
			return c.(map[string]any)["id"].(string)
		}
	}
	s.t.Fatal("no default company")
	return ""
}

func TestTenantAPIWorksInTheTenantsOwnDatabaseWithinItsLimits(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, tok := s.signup(signupBody("erp-user"))
	s.waitStatus(id, "trial")
	company := s.defaultCompany(tok)

	// The trial allows one company: the default one is it.
	code, out := s.call(http.MethodPost, "/v1/companies", tok, map[string]any{"code": "second", "name": "Second Co"})
	require.Equal(t, http.StatusForbidden, code, out)
	assert.Equal(t, "limit_exceeded", errorCode(out))
	assert.Equal(t, map[string]any{"limit": "max_companies", "used": float64(1), "allowed": float64(1), "plan": "trial",
		"upgrade_to": "professional"}, out["error"].(map[string]any)["details"])

	// Three users a company: the admin and two more.
	for i := range 2 {
		code, out = s.call(http.MethodPost, "/v1/companies/"+company+"/users", tok, map[string]any{"email": "u" + strconv.Itoa(i) + "@erp-user.example.com", "name": "U"})
		require.Equal(t, http.StatusCreated, code, out)
	}
	code, out = s.call(http.MethodPost, "/v1/companies/"+company+"/users", tok, map[string]any{"email": "u0@erp-user.example.com", "name": "Again"})
	assert.Equal(t, http.StatusForbidden, code, "the limit is checked before uniqueness: %v", out)
	code, out = s.call(http.MethodGet, "/v1/companies/"+company+"/users", tok, nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, out["users"], 3)
	user := out["users"].([]any)[1].(map[string]any)["id"].(string)
	code, _ = s.call(http.MethodDelete, "/v1/users/"+user, tok, nil)
	assert.Equal(t, http.StatusNoContent, code)
	code, out = s.call(http.MethodPost, "/v1/companies/"+company+"/users", tok, map[string]any{"email": "U1@erp-user.example.com", "name": "Dup"})
	assert.Equal(t, http.StatusConflict, code, "emails are unique whatever their case: %v", out)

	// Transactions count against the month.
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET max_transactions_per_month = 3 WHERE id = $1`, id)
	require.NoError(t, err)
	// Written behind the API's back: it reads the tenant again within a second (freshFor).
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/usage", tok, nil)
		require.Equal(c, http.StatusOK, code)
		require.EqualValues(c, 3, out["transactions_this_month"].(map[string]any)["limit"])
	}, 2*time.Second, 50*time.Millisecond)
	for range 3 {
		code, out = s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 1999, "memo": "sale"})
		require.Equal(t, http.StatusCreated, code, out)
	}
	code, out = s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 1, "memo": "one too many"})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, "max_transactions_per_month", out["error"].(map[string]any)["details"].(map[string]any)["limit"])

	// Usage, as the tenant's admin and the operator see it; not another tenant's admin.
	for _, who := range []string{tok, s.operator} {
		code, out = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/usage", who, nil)
		require.Equal(t, http.StatusOK, code, out)
		assert.Equal(t, map[string]any{"used": float64(3), "limit": float64(3)}, out["transactions_this_month"])
		assert.Equal(t, map[string]any{"used": float64(1), "limit": float64(1)}, out["companies"])
		assert.Equal(t, map[string]any{"used": float64(2), "limit": float64(3)}, out["users_per_company"].(map[string]any)[company])
		assert.Positive(t, out["storage_bytes"].(map[string]any)["used"])
	}

	// Bad input and foreign ids.
	code, out = s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "memo": "no amount"})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Contains(t, out["error"].(map[string]any)["details"], "amount_cents")
	code, _ = s.call(http.MethodGet, "/v1/companies/"+uuid.NewString(), tok, nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = s.call(http.MethodGet, "/v1/companies/not-a-uuid", tok, nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = s.call(http.MethodGet, "/v1/companies", s.operator, nil)
	assert.Equal(t, http.StatusForbidden, code, "the tenant comes from a tenant admin's token")

	// Another tenant's company is not there for this one.
	other, otherTok := s.signup(signupBody("erp-other"))
	s.waitStatus(other, "trial")
	code, _ = s.call(http.MethodGet, "/v1/companies/"+s.defaultCompany(otherTok), tok, nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": s.defaultCompany(otherTok), "amount_cents": 5})
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/usage", otherTok, nil)
	assert.Equal(t, http.StatusNotFound, code)
}

func TestFiftyConcurrentCreatesTakeTheLastSlotOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, tok := s.createTenant("crowd", "starter")
	company := s.defaultCompany(tok)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET max_users_per_company = 2 WHERE id = $1`, id) // the admin and one more
	require.NoError(t, err)
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _ := s.call(http.MethodPost, "/v1/companies/"+company+"/users", tok,
				map[string]any{"email": "racer" + strconv.Itoa(i) + "@crowd.example.com", "name": "Racer"})
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusForbidden: 49}, count)
	conn := s.tenantConn(t, tenantdb.Name(id))
	var users int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&users))
	assert.Equal(t, 2, users)
}

func TestAPIRateLimitIsSharedByReplicasThroughRedis(t *testing.T) {
	t.Parallel()
	prefix := "landlord-e2e-" + uuid.NewString() + ":"
	a, err := ratelimit.NewRedis("redis://127.0.0.1:6379/0", prefix)
	require.NoError(t, err)
	defer a.Close()
	b, err := ratelimit.NewRedis("redis://127.0.0.1:6379/0", prefix)
	require.NoError(t, err)
	defer b.Close()
	s := newStack(t, stackOptions{limiter: a})
	second := s.startAPI(b)
	id, tok := s.signup(signupBody("limited"))
	s.waitStatus(id, "trial")
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET api_rate_limit_per_hour = 6 WHERE id = $1`, id)
	require.NoError(t, err)

	allowed, refused := 0, 0
	var last *http.Response
	for i := range 10 {
		base := s.url
		if i%2 == 1 {
			base = second
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			allowed++
			assert.Equal(t, "6", resp.Header.Get("X-RateLimit-Limit"))
		case http.StatusTooManyRequests:
			refused++
			last = resp
		}
	}
	assert.Equal(t, 6, allowed, "two replicas, one bound")
	assert.Equal(t, 4, refused)
	require.NotNil(t, last)
	assert.Equal(t, "0", last.Header.Get("X-RateLimit-Remaining"))
	assert.NotEmpty(t, last.Header.Get("Retry-After"))
	assert.NotEmpty(t, last.Header.Get("X-RateLimit-Reset"))
}

func TestSuspendedOrUnreachableTenantsAreRefusedAlone(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a, tokA := s.createTenant("fragile", "starter")
	b, tokB := s.createTenant("sturdy", "starter")
	companyB := s.defaultCompany(tokB)
	s.defaultCompany(tokA) // a pool on A's database is open now

	// A's database disappears: A gets 503, B carries on.
	require.NoError(t, s.servers.DropDatabase(t.Context(), s.servers.Local(), tenantdb.Name(a)))
	code, out := s.call(http.MethodGet, "/v1/companies", tokA, nil)
	assert.Equal(t, http.StatusServiceUnavailable, code, out)
	code, _ = s.call(http.MethodPost, "/v1/transactions", tokB, map[string]any{"company_id": companyB, "amount_cents": 100})
	assert.Equal(t, http.StatusCreated, code)

	// A suspended tenant writes nothing.
	code, _ = s.call(http.MethodPost, "/v1/tenants/"+b.String()+"/suspend", s.operator, map[string]any{"reason": "audit"})
	require.Equal(t, http.StatusOK, code)
	code, out = s.call(http.MethodPost, "/v1/transactions", tokB, map[string]any{"company_id": companyB, "amount_cents": 100})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, "tenant_suspended", errorCode(out))
	code, _ = s.call(http.MethodPost, "/v1/tenants/"+b.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code)
	conn := s.tenantConn(t, tenantdb.Name(b))
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM transactions`).Scan(&n))
	assert.Equal(t, 1, n, "only the transaction posted before the suspension")
}
