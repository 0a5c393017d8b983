package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/workflows"
)

// providerInbox is a local SendGrid + Twilio that checks each request and keeps what it got.
type providerInbox struct {
	mu     sync.Mutex
	emails []map[string]any
	sms    []map[string]string
	bad    []string
}

func (p *providerInbox) serve(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v3/mail/send":
			var mail map[string]any
			if r.Header.Get("Authorization") != "Bearer SG.test" || json.NewDecoder(r.Body).Decode(&mail) != nil {
				p.bad = append(p.bad, "sendgrid: bad auth or body")
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			p.emails = append(p.emails, mail)
			w.Header().Set("X-Message-Id", "sg-msg-1")
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodPost && r.URL.Path == "/2010-04-01/Accounts/ACtest/Messages.json":
			user, pass, ok := r.BasicAuth()
			if !ok || user != "ACtest" || pass != "tw-token" || r.ParseForm() != nil {
				p.bad = append(p.bad, "twilio: bad auth or form")
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			p.sms = append(p.sms, map[string]string{"To": r.PostForm.Get("To"), "From": r.PostForm.Get("From"), "Body": r.PostForm.Get("Body")})
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"sid":"SMtest1","status":"queued"}`))
		default:
			p.bad = append(p.bad, r.Method+" "+r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSignupBecomesReadyTrialTenant(t *testing.T) {
	t.Parallel()
	inbox := &providerInbox{}
	ps := inbox.serve(t)
	s := newStack(t, stackOptions{
		email: notify.NewSendGrid("SG.test", ps.URL, "erp@example.com"),
		sms:   notify.NewTwilio("ACtest", "tw-token", ps.URL, "+15005550006"),
	})
	body := signupBody("acme-trial")
	body["phone"] = "+14155550123"
	before := time.Now()
	id, adminToken := s.signup(body)

	tenant := s.waitStatus(id, "trial")
	ends, err := time.Parse(time.RFC3339Nano, tenant["trial_ends_at"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, before.Add(14*24*time.Hour), ends, time.Minute)
	dbName := tenantdb.Name(id)
	assert.Equal(t, map[string]any{"name": dbName, "server": "local"}, tenant["database"])
	assert.Equal(t, "done", tenant["onboarding"].(map[string]any)["step"])
	assert.Equal(t, float64(3), tenant["limits"].(map[string]any)["max_users_per_company"])

	// The tenant admin sees its own tenant.
	code, me := s.call(http.MethodGet, "/v1/me", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, id.String(), me["tenant"].(map[string]any)["id"])

	// Its own database: cloned from the template, owned by its role, closed to PUBLIC, seeded.
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testenv.AdminURL())
	require.NoError(t, err)
	defer admin.Close(ctx)
	var owner string
	var publicConnect bool
	require.NoError(t, admin.QueryRow(ctx, `SELECT pg_get_userbyid(datdba), has_database_privilege('public', datname, 'CONNECT')
		FROM pg_database WHERE datname = $1`, dbName).Scan(&owner, &publicConnect))
	assert.Equal(t, tenantdb.OwnerName(dbName), owner, "owned by a role that cannot log in, not by the tenant's own")
	assert.False(t, publicConnect, "PUBLIC must not be able to connect to the tenant database")
	tdb := s.tenantConn(t, dbName)
	var companies, admins int
	require.NoError(t, tdb.QueryRow(ctx, `SELECT (SELECT count(*) FROM companies WHERE is_default AND name = 'Acme acme-trial'),
		(SELECT count(*) FROM users WHERE role = 'admin' AND email = 'ana@acme-trial.example.com')`).Scan(&companies, &admins))
	assert.Equal(t, 1, companies)
	assert.Equal(t, 1, admins)

	// Status history and audit were written with the status changes.
	hist, err := db.New(s.db.Pool).TenantStatusHistoryList(ctx, id)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, "provisioning", string(hist[0].ToStatus))
	assert.Equal(t, "trial", string(hist[1].ToStatus))
	code, audit := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	actions := []string{}
	for _, a := range audit["audit"].([]any) {
		actions = append(actions, a.(map[string]any)["action"].(string))
	}
	assert.Equal(t, []string{"TENANT_ONBOARDED", "TOKEN_CREATED", "TENANT_REGISTERED"}, actions, "newest first; the admin token's minting is audited with the registration")

	// A signup's address and number are not verified: each got its code,
	// once, and nothing the signup wrote; the outbox says so.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/notifications", adminToken, nil)
		require.Equal(c, http.StatusOK, code)
		list := out["notifications"].([]any)
		require.Len(c, list, 2)
		for _, n := range list {
			n := n.(map[string]any)
			require.Equal(c, "sent", n["status"], n)
			require.Contains(c, []any{"verify_email", "verify_phone"}, n["template"])
			require.NotRegexp(c, `\d{8}|[A-Z2-7]{26}`, n["body"], "the tenant admin is not shown the codes")
		}
	}, 30*time.Second, 50*time.Millisecond)
	code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/notifications", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	for _, n := range out["notifications"].([]any) {
		assert.Regexp(t, `\d{8}|[A-Z2-7]{26}`, n.(map[string]any)["body"], "an operator reads the outbox as sent")
	}
	inbox.mu.Lock()
	assert.Empty(t, inbox.bad)
	require.Len(t, inbox.emails, 1)
	require.Len(t, inbox.sms, 1)
	mail := inbox.emails[0]
	to := mail["personalizations"].([]any)[0].(map[string]any)["to"].([]any)[0].(map[string]any)["email"]
	text := mail["content"].([]any)[0].(map[string]any)["value"].(string)
	sms := inbox.sms[0]
	inbox.mu.Unlock()
	assert.Equal(t, "ana@acme-trial.example.com", to)
	assert.Equal(t, "+14155550123", sms["To"])
	for _, got := range []string{text, sms["Body"], mail["subject"].(string)} {
		assert.NotContains(t, got, "Acme", "an unverified recipient gets nothing the signup wrote")
	}
	emailCode := regexp.MustCompile(`[A-Z2-7]{26}`).FindString(text)
	smsCode := regexp.MustCompile(`\d{8}`).FindString(sms["Body"])
	require.NotEmpty(t, emailCode, text)
	require.NotEmpty(t, smsCode, sms["Body"])

	// The admin enters the codes back: a wrong one is refused, the right ones verify.
	verify := func(code string) (int, map[string]any) {
		return s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/verify", adminToken, map[string]any{"code": code})
	}
	code, out = verify("00000000")
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	code, out = verify(strings.ToLower(emailCode))
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "email", out["verified"])
	code, out = verify(smsCode)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "phone", out["verified"])
	code, _ = verify(smsCode)
	assert.Equal(t, http.StatusUnprocessableEntity, code, "a code verifies once")
	stored, err := db.New(s.db.Pool).TenantGet(ctx, id)
	require.NoError(t, err)
	assert.NotNil(t, stored.EmailVerifiedAt)
	assert.NotNil(t, stored.PhoneVerifiedAt)
	assert.Equal(t, []string{"EMAIL_VERIFIED", "PHONE_VERIFIED"}, s.actions(id, "EMAIL_VERIFIED", "PHONE_VERIFIED"))
}

func TestOperatorCreatesPaidTenantActiveWithAStripeCustomer(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{billing: billing.NewStripe("sk_test_e2e", testenv.StripeMock(t))})
	body := signupBody("paid-co")
	body["plan_code"], body["billing_cycle"] = "professional", "annual"
	code, out := s.call(http.MethodPost, "/v1/tenants", s.operator, body)
	require.Equal(t, http.StatusAccepted, code, out)
	id := uuid.MustParse(out["tenant"].(map[string]any)["id"].(string))
	tenant := s.waitStatus(id, "active")
	assert.Nil(t, tenant["trial_ends_at"])
	start, _ := time.Parse(time.RFC3339Nano, tenant["current_period_start"].(string))
	end, _ := time.Parse(time.RFC3339Nano, tenant["current_period_end"].(string))
	assert.Equal(t, start.AddDate(1, 0, 0), end)
	assert.Equal(t, float64(3), tenant["limits"].(map[string]any)["max_companies"])
	stored, err := db.New(s.db.Pool).TenantGet(t.Context(), id)
	require.NoError(t, err)
	require.NotNil(t, stored.BillingCustomerID)
	assert.Regexp(t, `^cus_`, *stored.BillingCustomerID, "the customer stripe-mock created")

	code, out = s.call(http.MethodPost, "/v1/tenants", s.operator, map[string]any{
		"company_name": "X", "subdomain": "nosuchplan", "admin_email": "a@b.example.com", "admin_name": "A", "plan_code": "platinum"})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Contains(t, out["error"].(map[string]any)["details"], "plan_code")
}

func TestConcurrentSignupsForOneSubdomainMakeOneTenant(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	const n = 20
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := signupBody("contested")
			body["admin_name"] = "Racer " + string(rune('A'+i))
			code, _ := s.call(http.MethodPost, "/v1/signup", "", body)
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	assert.Equal(t, map[int]int{http.StatusAccepted: 1, http.StatusConflict: n - 1}, count)

	var id uuid.UUID
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT id FROM tenants WHERE subdomain = 'contested'`).Scan(&id))
	s.waitStatus(id, "trial")
	var tenants, databases int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM tenants`).Scan(&tenants))
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, tenantdb.Name(id)).Scan(&databases))
	assert.Equal(t, 1, tenants)
	assert.Equal(t, 1, databases)
}

func TestSignupRejectsBadInputNamingEachField(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true, signupsPerHour: 1000})
	cases := []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"everything wrong", map[string]any{"company_name": " ", "subdomain": "a", "admin_email": "nope", "admin_name": ""},
			[]string{"company_name", "subdomain", "admin_email", "admin_name"}},
		{"reserved subdomain", map[string]any{"company_name": "A", "subdomain": "admin", "admin_email": "a@b.example.com", "admin_name": "A"}, []string{"subdomain"}},
		{"sql in subdomain", map[string]any{"company_name": "A", "subdomain": "x'; DROP TABLE tenants;--", "admin_email": "a@b.example.com", "admin_name": "A"}, []string{"subdomain"}},
		{"double hyphen", map[string]any{"company_name": "A", "subdomain": "ab--cd", "admin_email": "a@b.example.com", "admin_name": "A"}, []string{"subdomain"}},
		{"64 bytes", map[string]any{"company_name": "A", "subdomain": strings.Repeat("a", 64), "admin_email": "a@b.example.com", "admin_name": "A"}, []string{"subdomain"}},
		{"unicode subdomain", map[string]any{"company_name": "A", "subdomain": "ácme", "admin_email": "a@b.example.com", "admin_name": "A"}, []string{"subdomain"}},
		{"NUL in name", map[string]any{"company_name": "A\x00B", "subdomain": "nulco", "admin_email": "a@b.example.com", "admin_name": "A"}, []string{"company_name"}},
		{"display-name email", map[string]any{"company_name": "A", "subdomain": "mailco", "admin_email": "Ana <a@b.example.com>", "admin_name": "A"}, []string{"admin_email"}},
		{"bad phone", map[string]any{"company_name": "A", "subdomain": "phoneco", "admin_email": "a@b.example.com", "admin_name": "A", "phone": "555-1234"}, []string{"phone"}},
	}
	for _, tc := range cases {
		code, out := s.call(http.MethodPost, "/v1/signup", "", tc.body)
		require.Equal(t, http.StatusUnprocessableEntity, code, tc.name)
		require.Equal(t, "invalid_input", errorCode(out), tc.name)
		details := out["error"].(map[string]any)["details"].(map[string]any)
		for _, f := range tc.fields {
			assert.Contains(t, details, f, tc.name)
		}
		assert.Len(t, details, len(tc.fields), tc.name)
	}
	code, out := s.call(http.MethodPost, "/v1/signup", "", map[string]any{"company_name": "A", "subdomain": "extra", "admin_email": "a@b.example.com", "admin_name": "A", "plan_code": "unlimited"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, "signup must not pick a plan")
	assert.Contains(t, out["error"].(map[string]any)["message"], "unknown field")

	code, out = s.call(http.MethodPost, "/v1/signup", "", map[string]any{"company_name": strings.Repeat("x", 100<<10),
		"subdomain": "huge", "admin_email": "a@b.example.com", "admin_name": "A"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, "bodies over 64 KiB are refused")
	assert.Contains(t, out["error"].(map[string]any)["message"], "too large")

	var tenants int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM tenants`).Scan(&tenants))
	assert.Zero(t, tenants, "rejected signups must write nothing")
}

func TestSignupIsRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true, signupsPerHour: 2})
	bad := map[string]any{"company_name": "", "subdomain": "", "admin_email": "", "admin_name": ""}
	for range 2 {
		code, _ := s.call(http.MethodPost, "/v1/signup", "", bad)
		require.Equal(t, http.StatusUnprocessableEntity, code)
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/signup", strings.NewReader(`{}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
}

func TestTenantTokensSeeOnlyTheirTenant(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a, tokenA := s.signup(signupBody("tenant-a"))
	b, _ := s.signup(signupBody("tenant-b"))
	s.waitStatus(a, "trial")
	s.waitStatus(b, "trial")

	for _, path := range []string{"", "/audit", "/notifications"} {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+b.String()+path, tokenA, nil)
		assert.Equal(t, http.StatusNotFound, code, path)
		assert.NotContains(t, out, "subdomain")
		code, _ = s.call(http.MethodGet, "/v1/tenants/"+a.String()+path, tokenA, nil)
		assert.Equal(t, http.StatusOK, code, path)
	}
	code, _ := s.call(http.MethodPost, "/v1/tenants/"+b.String()+"/tokens", tokenA, nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, out := s.call(http.MethodGet, "/v1/tenants", tokenA, nil)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, "forbidden", errorCode(out))
	code, out = s.call(http.MethodGet, "/v1/tenants/"+a.String(), "", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "unauthorized", errorCode(out))
	code, _ = s.call(http.MethodGet, "/v1/me", "llt_not-a-real-token-at-all", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = s.call(http.MethodGet, "/v1/me", "x", nil)
	assert.Equal(t, http.StatusUnauthorized, code)

	// A minted token works for its tenant only.
	code, out = s.call(http.MethodPost, "/v1/tenants/"+a.String()+"/tokens", s.operator, map[string]any{"name": "ci"})
	require.Equal(t, http.StatusCreated, code)
	code, me := s.call(http.MethodGet, "/v1/me", out["token"].(string), nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, a.String(), me["tenant"].(map[string]any)["id"])

	// Listing pages with a cursor.
	code, page := s.call(http.MethodGet, "/v1/tenants?limit=1", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, page["tenants"], 1)
	cursor := page["next_cursor"].(string)
	code, page2 := s.call(http.MethodGet, "/v1/tenants?limit=1&cursor="+cursor, s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, page2["tenants"], 1)
	assert.Nil(t, page2["next_cursor"])
	assert.NotEqual(t, page["tenants"].([]any)[0].(map[string]any)["id"], page2["tenants"].([]any)[0].(map[string]any)["id"])
	code, _ = s.call(http.MethodGet, "/v1/tenants?cursor=garbage", s.operator, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, code)
}

// rejectingBilling fails every customer creation for good.
type rejectingBilling struct{ billing.Local }

func (rejectingBilling) CreateCustomer(context.Context, billing.Customer, string) (string, error) {
	return "", errors.Join(billing.ErrRejected, errors.New("card network says no"))
}

func TestFailedOnboardingLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{billing: rejectingBilling{}})
	id, adminToken := s.signup(signupBody("doomed"))
	tenant := s.waitStatus(id, "failed")
	onb := tenant["onboarding"].(map[string]any)
	assert.Equal(t, "failed", onb["step"])
	assert.Contains(t, onb["error"], "billing_customer")
	assert.Nil(t, tenant["database"].(map[string]any)["name"])

	database, role, err := s.servers.Exists(t.Context(), s.servers.Local(), tenantdb.Name(id))
	require.NoError(t, err)
	assert.False(t, database, "the tenant database must be dropped")
	assert.False(t, role, "the tenant role must be dropped")

	code, _ := s.call(http.MethodGet, "/v1/me", adminToken, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "a failed tenant's token is revoked")
	hist, err := db.New(s.db.Pool).TenantStatusHistoryList(t.Context(), id)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, "failed", string(hist[1].ToStatus))

	// The subdomain is free again.
	id2, _ := s.signup(signupBody("doomed"))
	assert.NotEqual(t, id, id2)
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	code, _ := s.call(http.MethodGet, "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, code)
	code, ready := s.call(http.MethodGet, "/readyz", "", nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"database": "ok", "temporal": "ok"}, ready)
	code, plans := s.call(http.MethodGet, "/v1/plans", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, plans["plans"], 5)
	starter := plans["plans"].([]any)[1].(map[string]any)
	assert.Equal(t, "starter", starter["code"])
	assert.Equal(t, float64(4900), starter["monthly_price_cents"])
	assert.Equal(t, float64(49000), starter["annual_price_cents"])

	id, _ := s.signup(signupBody("metered"))
	s.waitStatus(id, "trial")
	resp, err := http.Get(s.url + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the public address does not tell how many tenants are on which plan")
	metricsAddr := httptest.NewServer(promhttp.Handler()) // what METRICS_ADDR serves
	defer metricsAddr.Close()
	resp, err = http.Get(metricsAddr.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = io.Copy(&sb, resp.Body)
	text := sb.String()
	assert.Contains(t, text, `landlord_onboarding_finished_total{result="trial"}`)
	assert.Contains(t, text, "landlord_onboarding_duration_seconds_bucket")
	assert.Contains(t, text, `landlord_http_requests_total{code="202",method="POST",route="/v1/signup"}`)
}

func TestBadTokensAreThrottledPerAddress(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true})
	o := s.apiOptions
	o.AuthFailuresPerHour = 3
	hs := serveAPI(t, o)
	get := func(tok string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/v1/me", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	for range 5 {
		assert.Equal(t, http.StatusUnauthorized, get("").StatusCode, "no token is no guess: never counted")
	}
	for range 3 {
		assert.Equal(t, http.StatusUnauthorized, get("llo_guess-guess-guess-guess").StatusCode)
	}
	resp := get("llo_guess-guess-guess-guess")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusTooManyRequests, get("short").StatusCode, "a malformed token counts too")
	assert.Equal(t, http.StatusOK, get(s.operator).StatusCode, "a good token from the same address (a NAT, a proxy) is never refused")
}

// post sends a JSON request with extra headers and decodes the JSON answer.
func (s *stack) post(path, tok string, body any, header map[string]string) (int, map[string]any) {
	s.t.Helper()
	code, out, err := send(s.url, http.MethodPost, path, tok, body, header)
	require.NoError(s.t, err)
	return code, out
}

func TestARetriedSignupWithItsIdempotencyKeyGetsTheSameTenant(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	body := signupBody("lost-answer")
	code, first := s.post("/v1/signup", "", body, key)
	require.Equal(t, http.StatusAccepted, code, first)
	id := first["tenant"].(map[string]any)["id"]

	// The client never saw that answer and sends the same request again, then again at once.
	results := make(chan map[string]any, 2)
	for range 2 {
		go func() {
			code, out := s.post("/v1/signup", "", body, key)
			assert.Equal(t, http.StatusAccepted, code, out)
			results <- out
		}()
	}
	for range 2 {
		out := <-results
		assert.Equal(t, id, out["tenant"].(map[string]any)["id"], "the same tenant, never a second one")
		tok, _ := out["admin_token"].(string)
		require.NotEmpty(t, tok)
		code, _ := s.call(http.MethodGet, "/v1/me", tok, nil)
		assert.Equal(t, http.StatusOK, code, "the re-issued admin token works")
	}
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM tenants WHERE subdomain = 'lost-answer'`))

	// The same key with another body is refused; without a key it is the usual 409.
	other := signupBody("lost-answer")
	other["admin_name"] = "Someone Else"
	code, out := s.post("/v1/signup", "", other, key)
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	assert.Contains(t, out["error"].(map[string]any)["details"], "Idempotency-Key")
	code, out = s.post("/v1/signup", "", body, nil)
	assert.Equal(t, http.StatusConflict, code, out)

	// Operators' keys work the same on POST /v1/tenants.
	opKey := map[string]string{"Idempotency-Key": "op-" + uuid.NewString()}
	created := signupBody("op-retried")
	created["plan_code"] = "starter"
	code, a := s.post("/v1/tenants", s.operator, created, opKey)
	require.Equal(t, http.StatusAccepted, code, a)
	code, b := s.post("/v1/tenants", s.operator, created, opKey)
	require.Equal(t, http.StatusAccepted, code, b)
	assert.Equal(t, a["tenant"].(map[string]any)["id"], b["tenant"].(map[string]any)["id"])
}

// TestOperatorsFindTenantsBySearchFilterAndOrder: the tenant list an
// operator console pages through: a search in names, subdomains and emails
// (any letter case, LIKE's wildcards taken literally), filters, name order
// across pages, and the total the filters match.
func TestOperatorsFindTenantsBySearchFilterAndOrder(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	for _, sub := range []string{"delta", "alpha", "charlie", "bravo"} {
		s.createTenant("find-"+sub, "starter")
	}
	list := func(query string) (int, map[string]any) {
		return s.call(http.MethodGet, "/v1/tenants?"+query, s.operator, nil)
	}
	names := func(page map[string]any) []string {
		var out []string
		for _, t := range page["tenants"].([]any) {
			out = append(out, t.(map[string]any)["subdomain"].(string))
		}
		return out
	}
	code, page := list("q=FIND-BR")
	require.Equal(t, http.StatusOK, code, page)
	assert.Equal(t, []string{"find-bravo"}, names(page), "a subdomain, any letter case")
	_, page = list("q=ana@find-charlie")
	assert.Equal(t, []string{"find-charlie"}, names(page), "an admin email")
	_, page = list("q=" + url.QueryEscape("Acme find-a"))
	assert.Equal(t, []string{"find-alpha"}, names(page), "a company name")
	_, page = list("q=" + url.QueryEscape("find_"))
	assert.Empty(t, names(page), "_ is a character, not a wildcard")
	_, page = list("server=local&plan=starter")
	assert.Equal(t, float64(4), page["total"])
	_, page = list("server=elsewhere")
	assert.Equal(t, float64(0), page["total"])

	var seen []string
	query := "sort=name&limit=3"
	for {
		code, page = list(query)
		require.Equal(t, http.StatusOK, code, page)
		assert.Equal(t, float64(4), page["total"], "the total on every page")
		seen = append(seen, names(page)...)
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		query = "sort=name&limit=3&cursor=" + next
	}
	assert.Equal(t, []string{"find-alpha", "find-bravo", "find-charlie", "find-delta"}, seen)

	_, page = list("limit=1")
	code, _ = list("sort=name&cursor=" + page["next_cursor"].(string))
	assert.Equal(t, http.StatusUnprocessableEntity, code, "a cursor of another order")
	code, _ = list("sort=size")
	assert.Equal(t, http.StatusUnprocessableEntity, code)
}

// TestARegisteredSignupWhoseStartWasLostIsOnboardedByTheTrialSweep: the API
// registers a signup, then starts its onboarding; a tenant registered by an
// API that stopped in between (no onboarding ever ran) is onboarded by the
// next trial sweep from its row, and its admin's token works. A tenant whose
// onboarding runs is not started twice.
func TestARegisteredSignupWhoseStartWasLostIsOnboardedByTheTrialSweep(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	ctx := t.Context()
	id, plain := s.registerOnly("lost-start")
	fresh, _ := s.signup(signupBody("running-start")) // started by the API: not the sweep's
	s.waitStatus(fresh, "trial")
	_, err := s.db.Pool.Exec(ctx, `UPDATE tenants SET created_at = now() - interval '3 minutes' WHERE id = ANY($1)`, []uuid.UUID{id, fresh})
	require.NoError(t, err)

	assert.Equal(t, 1, s.sweep("trials"), "the sweep starts the onboarding that never ran, and only it")
	s.waitStatus(id, "trial")
	code, me := s.call(http.MethodGet, "/v1/me", plain, nil)
	require.Equal(t, http.StatusOK, code, me)
	assert.Equal(t, "Acme lost-start", me["tenant"].(map[string]any)["name"])
	database, _, err := s.servers.Exists(ctx, s.servers.Local(), tenantdb.Name(id))
	require.NoError(t, err)
	assert.True(t, database)
	assert.Equal(t, 0, s.sweep("trials"), "an onboarded tenant is not started again")
}

// registerOnly registers a signup as the API does, without starting its
// onboarding (as if the API had stopped in between); it returns the tenant and
// its admin's token.
func (s *stack) registerOnly(subdomain string) (uuid.UUID, string) {
	s.t.Helper()
	ctx := s.t.Context()
	id := uuid.New()
	plain, hash, prefix := token.New(token.RoleTenantAdmin)
	err := db.InOperatorScope(ctx, s.db.Pool, func(q *db.Queries) error {
		_, err := activities.RegisterTenant(ctx, q, activities.RegisterInput{TenantID: id,
			TenantCode: strings.ReplaceAll(subdomain, "-", "_"), Name: "Acme " + subdomain, Subdomain: subdomain,
			AdminEmail: "ana@" + subdomain + ".example.com", AdminName: "Ana", PlanCode: "trial", BillingCycle: "monthly",
			AdminTokenHash: hash, AdminTokenPrefix: prefix, Actor: "signup:127.0.0.1"})
		return err
	})
	require.NoError(s.t, err)
	return id, plain
}

// TestASignupTemporalDidNotTakeIsAnsweredAndOnboardedByTheSweep: an API
// whose Temporal refuses the start (here: a namespace it does not have)
// still answers the signup it registered with 202, its tenant and its admin
// token, and no onboarding runs; the next trial sweep onboards the tenant.
func TestASignupTemporalDidNotTakeIsAnsweredAndOnboardedByTheSweep(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	o := s.apiOptions
	o.Temporal = testenv.TemporalClientWith(t, client.Options{Namespace: "no-such-namespace"})
	refusing := serveAPI(t, o).URL

	code, out, err := send(refusing, http.MethodPost, "/v1/signup", "", signupBody("refused-start"), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, code, out)
	tenant := out["tenant"].(map[string]any)
	id := uuid.MustParse(tenant["id"].(string))
	assert.Equal(t, "provisioning", tenant["status"])
	admin := out["admin_token"].(string)
	_, err = s.temporal.DescribeWorkflowExecution(t.Context(), workflows.OnboardingWorkflowID(id), "")
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "no onboarding runs")

	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET created_at = now() - interval '3 minutes' WHERE id = $1`, id)
	require.NoError(t, err)
	assert.Equal(t, 1, s.sweep("trials"))
	s.waitStatus(id, "trial")
	code, me := s.call(http.MethodGet, "/v1/me", admin, nil)
	require.Equal(t, http.StatusOK, code, me)
}
