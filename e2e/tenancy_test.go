package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/tenancy"
	"github.com/landlordhq/landlord/tenantdb"
)

// kitService is an ERP service built on the tenancy kit: its handler answers
// the id of the tenant the kit resolved and its default company's name, read
// from the tenant's own database through the kit's pool.
type kitService struct {
	resolver *tenancy.Resolver
	handler  http.Handler
}

func newKitService(t *testing.T, landlord, svc string, maxStale time.Duration) *kitService {
	r, err := tenancy.New(tenancy.Config{Landlord: landlord, ServiceToken: svc, MaxStale: maxStale, NotFoundTTL: 5 * time.Second,
		Pool: tenancy.PoolConfig{MaxConns: 4, ConnsPerTenant: 2}})
	require.NoError(t, err)
	t.Cleanup(r.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		tn, ok := tenancy.FromContext(req.Context())
		if !ok || tn.Database == nil {
			http.Error(w, "no tenant in the request", http.StatusInternalServerError)
			return
		}
		pool, err := r.Pool(req.Context(), tn)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var company string
		if err := pool.QueryRow(req.Context(), `SELECT name FROM companies WHERE is_default`).Scan(&company); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, tn.ID+" "+company)
	}))
	return &kitService{resolver: r, handler: h}
}

// get serves one request for host in process and returns its status and body.
func (k *kitService) get(host string) (int, string) {
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/gl/entries", nil)
	rec := httptest.NewRecorder()
	k.handler.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

// TestTheKitServesTenantsByHostAndTheDrillsHold: an ERP service on the kit
// serves each tenant by its host and unknown hosts a clean 404; 1,000
// concurrent requests for a tenant it has not seen make one resolution, and
// 1,000 for an unknown host one too; a suspension is refused (403) within two
// seconds of the status changing; with landlord stopped, known tenants are
// served until the staleness bound and then refused, unknown hosts at once.
func TestTheKitServesTenantsByHostAndTheDrillsHold(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a, _ := s.createTenant("kit-a", "starter")
	b, _ := s.createTenant("kit-b", "starter")
	c, _ := s.createTenant("kit-c", "starter")
	svc := s.serviceToken()
	api := serveAPI(t, s.apiOptions) // a landlord this test may stop
	const maxStale = 3 * time.Second
	k := newKitService(t, api.URL, svc, maxStale)
	require.Eventually(t, func() bool { return k.resolver.Staleness() < time.Second }, 10*time.Second, 20*time.Millisecond,
		"the kit never heard the change feed")

	// Each tenant's requests reach its own database, through a pool of the kit's.
	code, body := k.get("kit-a.localhost")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, a.String()+" Acme kit-a", body)
	code, body = k.get("KIT-B.localhost:8080")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, b.String()+" Acme kit-b", body)
	assert.True(t, k.resolver.HasPool(a.String()))
	for _, host := range []string{"www.localhost", "kit-x.localhost", "kit-a.elsewhere.example", "localhost", "127.0.0.1"} {
		code, body := k.get(host)
		assert.Equal(t, http.StatusNotFound, code, host)
		assert.Contains(t, body, "No workspace answers at this address", host)
	}

	// The same through Echo.
	e := echo.New()
	e.Use(k.resolver.Echo())
	e.GET("/gl/entries", func(c echo.Context) error {
		tn, ok := tenancy.FromContext(c.Request().Context())
		if !ok {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.String(http.StatusOK, tn.ID)
	})
	for host, want := range map[string]int{"kit-b.localhost": http.StatusOK, "www.localhost": http.StatusNotFound} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+host+"/gl/entries", nil))
		assert.Equal(t, want, rec.Code, host)
		if want == http.StatusOK {
			assert.Equal(t, b.String(), rec.Body.String())
		} else {
			assert.Contains(t, rec.Body.String(), "No workspace answers at this address")
		}
	}

	// 1,000 at once for a tenant the kit has not resolved: one resolution.
	flood := func(host string) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				code, _ := k.get(host)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return codes
	}
	before := k.resolver.Resolves()
	assert.Equal(t, map[int]int{http.StatusOK: 1000}, flood("kit-c.localhost"))
	assert.Equal(t, 1, k.resolver.Resolves()-before, "one resolution for 1,000 requests")
	before = k.resolver.Resolves()
	assert.Equal(t, map[int]int{http.StatusNotFound: 1000}, flood("typo.localhost"))
	assert.Equal(t, 1, k.resolver.Resolves()-before, "one resolution for 1,000 requests for an unknown host")
	// Four connections at two a tenant: the third tenant's pool closed the least recently used one.
	assert.True(t, k.resolver.HasPool(c.String()))
	assert.False(t, k.resolver.HasPool(a.String()), "the least recently used tenant's pool was closed")
	code, _ = k.get("kit-a.localhost")
	require.Equal(t, http.StatusOK, code)

	// Suspension: refused within two seconds of the status changing.
	changed := s.statusSeen(a, "suspended")
	// The kit's own answer, asked every millisecond while the suspension runs
	// (a request's database work is left out: the suspension also closes the
	// tenant's database, which a request could wait on).
	refused := make(chan time.Time, 1)
	go func() {
		for ctx := t.Context(); ctx.Err() == nil; time.Sleep(time.Millisecond) {
			var ns *tenancy.NotServingError
			if _, err := k.resolver.Resolve(ctx, "kit-a.localhost"); errors.As(err, &ns) {
				refused <- time.Now()
				return
			}
		}
	}()
	code, out := s.call(http.MethodPost, "/v1/tenants/"+a.String()+"/suspend", s.operator, map[string]any{"reason": "drill"})
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, code, out)
	var refusedAt time.Time
	select {
	case refusedAt = <-refused:
	case <-time.After(30 * time.Second):
		t.Fatal("the kit kept serving a suspended tenant")
	}
	var changedAt time.Time
	select {
	case changedAt = <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("the tenant was never seen suspended")
	}
	t.Logf("suspension to 403 in the kit: %v (negative: before a poller of the row every 5 ms saw it)", refusedAt.Sub(changedAt))
	assert.Less(t, refusedAt.Sub(changedAt), 2*time.Second)
	code, body = k.get("kit-a.localhost")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "kit-a is suspended")
	assert.False(t, k.resolver.HasPool(a.String()), "a suspended tenant's pool is closed")
	code, _ = k.get("kit-b.localhost")
	assert.Equal(t, http.StatusOK, code, "another tenant is still served")

	// Landlord stopped: the known are served until the bound, then refused; the unknown at once.
	api.CloseClientConnections()
	api.Close()
	stopped := time.Now()
	code, _ = k.get("kit-b.localhost")
	assert.Equal(t, http.StatusOK, code, "a known tenant is served while landlord is away")
	code, _ = k.get("kit-new.localhost")
	assert.Equal(t, http.StatusServiceUnavailable, code, "an unknown host cannot be resolved without landlord")
	require.Eventually(t, func() bool {
		code, _ := k.get("kit-b.localhost")
		return code == http.StatusServiceUnavailable
	}, 3*maxStale, 20*time.Millisecond, "a known tenant is refused once the staleness bound passed")
	assert.GreaterOrEqual(t, time.Since(stopped), maxStale-time.Second, "served from memory until about the bound")
}

// TestTheKitAndLandlordCountATenantsCallsInOneBound: a tenant's requests to
// an ERP service on the kit and to landlord's API are counted in one bound
// (the shared limiter in Redis): with 6 calls an hour, 10 alternating calls
// are 6 answered and 4 refused with 429, whichever answered them.
func TestTheKitAndLandlordCountATenantsCallsInOneBound(t *testing.T) {
	t.Parallel()
	prefix := "landlord-e2e-" + uuid.NewString() + ":"
	landlordLimiter, err := ratelimit.NewRedis("redis://127.0.0.1:6379/0", prefix)
	require.NoError(t, err)
	defer landlordLimiter.Close()
	kitLimiter, err := ratelimit.NewRedis("redis://127.0.0.1:6379/0", prefix)
	require.NoError(t, err)
	defer kitLimiter.Close()
	s := newStack(t, stackOptions{limiter: landlordLimiter})
	id, tok := s.createTenant("kit-limited", "starter")
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET api_rate_limit_per_hour = 6 WHERE id = $1`, id)
	require.NoError(t, err)
	r, err := tenancy.New(tenancy.Config{Landlord: s.url, ServiceToken: s.serviceToken(), Limiter: kitLimiter})
	require.NoError(t, err)
	t.Cleanup(r.Close)
	erp := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))

	answered := map[string]int{}
	refused := map[string]int{}
	for i := range 10 {
		if i%2 == 0 {
			rec := httptest.NewRecorder()
			erp.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://kit-limited.localhost/gl/entries", nil))
			switch rec.Code {
			case http.StatusOK:
				answered["erp"]++
				assert.Equal(t, "6", rec.Header().Get("X-RateLimit-Limit"))
			case http.StatusTooManyRequests:
				refused["erp"]++
				assert.NotEmpty(t, rec.Header().Get("Retry-After"))
			default:
				t.Fatalf("the ERP service answered %d: %s", rec.Code, rec.Body)
			}
			continue
		}
		code, _ := s.call(http.MethodGet, "/v1/me", tok, nil)
		switch code {
		case http.StatusOK:
			answered["landlord"]++
		case http.StatusTooManyRequests:
			refused["landlord"]++
		default:
			t.Fatalf("landlord answered %d", code)
		}
	}
	assert.Equal(t, 6, answered["erp"]+answered["landlord"], "one bound for both: %v answered, %v refused", answered, refused)
	assert.Equal(t, 4, refused["erp"]+refused["landlord"])
	assert.Positive(t, refused["erp"], "the ERP service refuses too")
}

// TestTheMonthlyTransactionLimitHoldsAcrossTheKitAndLandlord: an ERP service
// on the kit takes each transaction it writes from the same monthly counter
// as landlord's POST /v1/transactions: with 5 a month, 8 posts split between
// the two, 4 of them at once from the service, are 5 written and 3 refused,
// and the tenant's database holds 5 rows.
func TestTheMonthlyTransactionLimitHoldsAcrossTheKitAndLandlord(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, tok := s.createTenant("kit-metered", "starter")
	// Set before landlord's API reads the tenant (it keeps what it read for a second).
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET max_transactions_per_month = 5 WHERE id = $1`, id)
	require.NoError(t, err)
	company := s.defaultCompany(tok)
	r, err := tenancy.New(tenancy.Config{Landlord: s.url, ServiceToken: s.serviceToken()})
	require.NoError(t, err)
	t.Cleanup(r.Close)
	tn, err := r.Resolve(t.Context(), "kit-metered.localhost")
	require.NoError(t, err)
	require.Equal(t, 5, tn.Plan.Limits.MaxTransactionsPerMonth)
	pool, err := r.Pool(t.Context(), tn)
	require.NoError(t, err)
	// The service's write: the row and its count, in one transaction.
	post := func() error {
		return pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
			if err := tenancy.TakeTransaction(t.Context(), tx, tn, time.Now()); err != nil {
				return err
			}
			_, err := tx.Exec(t.Context(), `INSERT INTO transactions (company_id, amount_cents, memo) VALUES ($1, 100, 'erp')`, company)
			return err
		})
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	note := func(k string) { mu.Lock(); outcomes[k]++; mu.Unlock() }
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			switch err := post(); {
			case err == nil:
				note("written")
			case errors.Is(err, tenancy.ErrTransactionLimit):
				note("refused")
			default:
				t.Errorf("the service's post: %v", err)
			}
		})
	}
	wg.Wait()
	for range 4 {
		code, out := s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 100})
		switch code {
		case http.StatusCreated:
			note("written")
		case http.StatusForbidden:
			require.Equal(t, "limit_exceeded", errorCode(out))
			note("refused")
		default:
			t.Fatalf("landlord's post answered %d: %v", code, out)
		}
	}
	assert.Equal(t, map[string]int{"written": 5, "refused": 3}, outcomes)
	var rows int
	require.NoError(t, s.tenantConn(t, tenantdb.Name(id)).QueryRow(t.Context(), `SELECT count(*) FROM transactions`).Scan(&rows))
	assert.Equal(t, 5, rows)
}
