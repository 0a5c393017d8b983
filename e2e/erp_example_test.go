package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/examples/erp"
	"github.com/landlordhq/landlord/tenancy"
	"github.com/landlordhq/landlord/tenantdb"
)

// exampleERP is the example ERP service (examples/erp) on the kit, over HTTP.
type exampleERP struct {
	url     string
	kit     *tenancy.Resolver
	handler http.Handler
}

func startExampleERP(t testing.TB, landlord, svc string, maxStale time.Duration) *exampleERP {
	kit, err := tenancy.New(tenancy.Config{Landlord: landlord, ServiceToken: svc, MaxStale: maxStale,
		Pool: tenancy.PoolConfig{MaxConns: 8, ConnsPerTenant: 2}})
	require.NoError(t, err)
	t.Cleanup(kit.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = kit.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h := erp.New(kit)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	require.Eventually(t, func() bool { return kit.Staleness() < time.Second }, 10*time.Second, 20*time.Millisecond, "the kit never heard the change feed")
	return &exampleERP{url: hs.URL, kit: kit, handler: h}
}

// signedInUser is a user of the tenant admin's tenant with a password,
// signed in on host: its access and refresh tokens.
func (s *stack) signedInUser(inbox *providerInbox, admin, host, email string) (access, refresh string) {
	s.invited(inbox, admin, email, password)
	out := s.signIn(s.url, host, email, password)
	return out["access_token"].(string), out["refresh_token"].(string)
}

func balanced(memo string, cents int64) map[string]any {
	return map[string]any{"date": "2026-12-01", "memo": memo, "lines": []map[string]any{
		{"account": "1000", "debit_cents": cents}, {"account": "4000", "credit_cents": cents}}}
}

func entryIDs(out map[string]any) []string {
	var ids []string
	for _, e := range out["entries"].([]any) {
		ids = append(ids, e.(map[string]any)["id"].(string))
	}
	return ids
}

func TestTheExampleERPKeepsEachTenantsLedgerToItself(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	a, adminA := s.createTenant("ledger-a", "starter")
	_, adminB := s.createTenant("ledger-b", "starter")
	ta, _ := s.signedInUser(inbox, adminA, "ledger-a.localhost", "lee@ledger-a.example.com")
	tb, _ := s.signedInUser(inbox, adminB, "ledger-b.localhost", "lou@ledger-b.example.com")
	x := startExampleERP(t, s.url, s.serviceToken(), 30*time.Second)
	do := func(host, method, path, tok string, body any) (int, map[string]any) {
		code, out, _ := hostCall(t, x.url, host, method, path, tok, body)
		return code, out
	}

	code, out := do("ledger-a.localhost", http.MethodGet, "/api/accounts", ta, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["accounts"], 6)
	code, postedA := do("ledger-a.localhost", http.MethodPost, "/api/journal-entries", ta, balanced("cash sale", 12_500))
	require.Equal(t, http.StatusCreated, code, postedA)
	assert.Equal(t, s.defaultCompany(adminA), postedA["company_id"])
	assert.Len(t, postedA["lines"], 2)
	code, postedB := do("ledger-b.localhost", http.MethodPost, "/api/journal-entries", tb, balanced("b's sale", 700))
	require.Equal(t, http.StatusCreated, code, postedB)

	code, out = do("ledger-a.localhost", http.MethodGet, "/api/journal-entries", ta, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, []string{postedA["id"].(string)}, entryIDs(out), "tenant A sees its own entry only")
	code, out = do("ledger-b.localhost", http.MethodGet, "/api/journal-entries", tb, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, []string{postedB["id"].(string)}, entryIDs(out), "tenant B sees its own entry only")

	code, out = do("ledger-b.localhost", http.MethodGet, "/api/journal-entries", ta, nil)
	assert.Equal(t, http.StatusForbidden, code, "a user of tenant A with a valid token, on tenant B's host: %v", out)
	code, _ = do("ledger-b.localhost", http.MethodGet, "/api/journal-entries/"+postedA["id"].(string), tb, nil)
	assert.Equal(t, http.StatusNotFound, code, "tenant A's entry is not in tenant B's database")
	code, _ = do("ledger-a.localhost", http.MethodGet, "/api/journal-entries/"+postedA["id"].(string), ta, nil)
	assert.Equal(t, http.StatusOK, code)
	code, _ = do("ledger-a.localhost", http.MethodGet, "/api/journal-entries", "", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = hostCall(t, x.url, "ledger-nobody.localhost", http.MethodGet, "/api/journal-entries", ta, nil)
	assert.Equal(t, http.StatusNotFound, code)

	// What is not a balanced entry is refused, and nothing is written or counted.
	for name, bad := range map[string]map[string]any{
		"unbalanced": {"date": "2026-12-01", "lines": []map[string]any{{"account": "1000", "debit_cents": 10}, {"account": "4000", "credit_cents": 9}}},
		"one line":   {"date": "2026-12-01", "lines": []map[string]any{{"account": "1000", "debit_cents": 10}}},
		"no account": {"date": "2026-12-01", "lines": []map[string]any{{"account": "9999", "debit_cents": 10}, {"account": "4000", "credit_cents": 10}}},
		"bad date":   {"date": "yesterday", "lines": []map[string]any{{"account": "1000", "debit_cents": 10}, {"account": "4000", "credit_cents": 10}}},
	} {
		code, out := do("ledger-a.localhost", http.MethodPost, "/api/journal-entries", ta, bad)
		assert.Equal(t, http.StatusUnprocessableEntity, code, "%s: %v", name, out)
	}

	// A retry with its Idempotency-Key answers the same entry and is counted once.
	retry := func() (int, map[string]any) {
		req := balanced("retried", 300)
		code, out, _ := hostCallWith(t, x.url, "ledger-a.localhost", http.MethodPost, "/api/journal-entries", ta, req, map[string]string{"Idempotency-Key": "inv-42"})
		return code, out
	}
	code, first := retry()
	require.Equal(t, http.StatusCreated, code, first)
	code, again := retry()
	require.Equal(t, http.StatusOK, code, again)
	assert.Equal(t, first["id"], again["id"])
	var used int64
	require.NoError(t, s.tenantConn(t, tenantdb.Name(a)).QueryRow(t.Context(), `SELECT coalesce(sum(transactions), 0) FROM usage_counters`).Scan(&used))
	assert.Equal(t, int64(2), used, "two entries posted, two transactions counted: not the refused ones, not the retry")
}

func TestTheExampleERPRefusesASuspendedTenantAndTheTransactionLimitHoldsWithLandlord(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	id, admin := s.createTenant("ledger-s", "starter")
	// Six transactions this month, set before landlord's API first reads the tenant's limits.
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET max_transactions_per_month = 6 WHERE id = $1`, id)
	require.NoError(t, err)
	tok, _ := s.signedInUser(inbox, admin, "ledger-s.localhost", "sue@ledger-s.example.com")
	x := startExampleERP(t, s.url, s.serviceToken(), 30*time.Second)
	get := func() int {
		code, _, _ := hostCall(t, x.url, "ledger-s.localhost", http.MethodGet, "/api/journal-entries", tok, nil)
		return code
	}
	before := tok
	require.Equal(t, http.StatusOK, get())

	changed := s.statusSeen(id, "suspended")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "drill"})
	require.Equal(t, http.StatusOK, code, out)
	changedAt := <-changed
	require.EventuallyWithT(t, func(c *assert.CollectT) { require.Equal(c, http.StatusForbidden, get()) },
		2*time.Second, 5*time.Millisecond, "a suspended tenant's requests are refused within 2 s")
	assert.Less(t, time.Since(changedAt), 2*time.Second)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "cleared"})
	require.Equal(t, http.StatusOK, code, out)
	tok = s.login("ledger-s.localhost", "sue@ledger-s.example.com", password) // the suspension ended every session
	require.EventuallyWithT(t, func(c *assert.CollectT) { require.Equal(c, http.StatusOK, get()) },
		10*time.Second, 10*time.Millisecond, "served again once reactivated, signed in again")
	code, _, _ = hostCall(t, x.url, "ledger-s.localhost", http.MethodGet, "/api/journal-entries", before, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "a token of a session the suspension ended stays refused")

	// The six, posted at once from the example service and from landlord's API.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		tn, err := x.kit.Resolve(t.Context(), "ledger-s.localhost")
		require.NoError(c, err)
		require.Equal(c, 6, tn.Plan.Limits.MaxTransactionsPerMonth)
	}, 10*time.Second, 20*time.Millisecond, "the kit learns the new limit from the feed")
	company := s.defaultCompany(admin)
	var mu sync.Mutex
	got := map[string]map[int]int{"erp": {}, "landlord": {}}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			var code int
			who := "erp"
			if i%2 == 0 {
				code, _, _ = hostCall(t, x.url, "ledger-s.localhost", http.MethodPost, "/api/journal-entries", tok, balanced("race", 100))
			} else {
				who = "landlord"
				code, _, _ = hostCall(t, s.url, "", http.MethodPost, "/v1/transactions", admin, map[string]any{"company_id": company, "amount_cents": 100})
			}
			mu.Lock()
			got[who][code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, 6, got["erp"][http.StatusCreated]+got["landlord"][http.StatusCreated], "six written in all: %v", got)
	assert.Equal(t, 4, got["erp"][http.StatusForbidden]+got["landlord"][http.StatusForbidden], "the rest refused: %v", got)
}

// TestTheExampleERPDrills: the drills on the example service — 1,000
// concurrent requests for a tenant it has not resolved make one resolution;
// a signing-key rotation with tokens in flight signs nobody out; with
// landlord stopped, a known tenant is served until the staleness bound and an
// unknown one refused.
func TestTheExampleERPDrills(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	_, admin := s.createTenant("ledger-d", "starter")
	s.createTenant("ledger-e", "starter")
	tok, refresh := s.signedInUser(inbox, admin, "ledger-d.localhost", "dan@ledger-d.example.com")
	api := serveAPI(t, s.apiOptions) // a landlord this test may stop
	const maxStale = 3 * time.Second
	x := startExampleERP(t, api.URL, s.serviceToken(), maxStale)
	get := func(host, tok string) int {
		req := httptest.NewRequest(http.MethodGet, "http://"+host+"/api/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		x.handler.ServeHTTP(rec, req)
		return rec.Code
	}

	before := x.kit.Resolves()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			c := get("ledger-d.localhost", tok)
			mu.Lock()
			codes[c]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, map[int]int{http.StatusOK: 1000}, codes)
	assert.Equal(t, 1, x.kit.Resolves()-before, "one resolution for 1,000 requests")

	// A rotation while requests with the old key's token go on.
	o := s.apiOptions
	o.SigningKeyLead = time.Millisecond
	fast := serveAPI(t, o).URL
	stop := make(chan struct{})
	var refused []int
	var inFlight sync.WaitGroup
	inFlight.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c := get("ledger-d.localhost", tok); c != http.StatusOK {
				refused = append(refused, c)
			}
		}
	})
	code, out, _ := hostCall(t, fast, "", http.MethodPost, "/v1/signing-keys/rotate", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	code, renewed, _ := hostCall(t, fast, "ledger-d.localhost", http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": refresh})
	require.Equal(t, http.StatusOK, code, renewed)
	assert.NotEqual(t, kidOf(t, tok), kidOf(t, renewed["access_token"].(string)))
	assert.Equal(t, http.StatusOK, get("ledger-d.localhost", renewed["access_token"].(string)), "a token of the new key")
	close(stop)
	inFlight.Wait()
	assert.Empty(t, refused, "nobody was signed out by the rotation")

	// Landlord stopped.
	api.CloseClientConnections()
	api.Close()
	stopped := time.Now()
	assert.Equal(t, http.StatusOK, get("ledger-d.localhost", tok), "a known tenant is served while landlord is away")
	assert.Equal(t, http.StatusServiceUnavailable, get("ledger-e.localhost", tok), "an unknown one cannot be resolved")
	require.Eventually(t, func() bool { return get("ledger-d.localhost", tok) == http.StatusServiceUnavailable },
		3*maxStale, 20*time.Millisecond, "refused once the staleness bound passed")
	assert.GreaterOrEqual(t, time.Since(stopped), maxStale-time.Second)
}

// BenchmarkExampleERPSuspensionTo403 is the time from a suspension's commit
// (its notification, heard on a LISTEN of landlord's database) to the first
// 403 the example service answers the tenant's signed-in user, asked every
// millisecond; each round reactivates the tenant and waits for 200 again.
// go test ./e2e -run '^$' -bench ExampleERPSuspension -benchtime 10x
func BenchmarkExampleERPSuspensionTo403(b *testing.B) {
	s, inbox := signInStack(b)
	id, admin := s.createTenant("ledger-bench", "starter")
	tok, _ := s.signedInUser(inbox, admin, "ledger-bench.localhost", "ben@ledger-bench.example.com")
	x := startExampleERP(b, s.url, s.serviceToken(), 30*time.Second)
	get := func() int {
		req := httptest.NewRequest(http.MethodGet, "http://ledger-bench.localhost/api/journal-entries", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		x.handler.ServeHTTP(rec, req)
		return rec.Code
	}
	conn, err := pgx.Connect(b.Context(), s.db.URL)
	require.NoError(b, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(b.Context(), "LISTEN tenant_resolution")
	require.NoError(b, err)
	var took []time.Duration
	for b.Loop() {
		refused := make(chan time.Time, 1)
		go func() {
			for ctx := b.Context(); ctx.Err() == nil; time.Sleep(time.Millisecond) {
				if get() == http.StatusForbidden {
					refused <- time.Now()
					return
				}
			}
		}()
		heard := make(chan time.Time, 1)
		go func() { // the suspension's commit, as a LISTEN of landlord's database hears it
			for {
				if _, err := conn.WaitForNotification(b.Context()); err != nil {
					return
				}
				at := time.Now()
				var status string
				if s.db.Pool.QueryRow(b.Context(), `SELECT status FROM tenants WHERE id = $1`, id).Scan(&status) == nil && status == "suspended" {
					heard <- at
					return
				}
			}
		}()
		code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "bench"})
		require.Equal(b, http.StatusOK, code, out)
		committed := <-heard
		select {
		case at := <-refused:
			took = append(took, at.Sub(committed))
		case <-time.After(30 * time.Second):
			b.Fatal("never refused")
		}
		code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "bench"})
		require.Equal(b, http.StatusOK, code, out)
		tok = s.login("ledger-bench.localhost", "ben@ledger-bench.example.com", password) // the suspension ended the session
		require.Eventually(b, func() bool { return get() == http.StatusOK }, 30*time.Second, 5*time.Millisecond)
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(took[0].Microseconds())/1000, "min-ms")
}
