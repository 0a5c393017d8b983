package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/google/uuid"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/workflows"
	"go.temporal.io/sdk/client"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/server"
)

// publicRoutes need no token.
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /v1/plans": true,
	"POST /v1/signup": true, "POST /v1/webhooks/stripe": true,
	// CORS preflights; the Web UI's codec path, whose key is its credential
	// (TestTheCodecEndpointDecodesRecordedHistoriesForOperatorsOnly).
	"POST /v1/session":      true, // a token in the body becomes a session (TestBrowserSessionsAreCookiesWithACSRFToken)
	"OPTIONS /codec/decode": true, "OPTIONS /codec/encode": true, "OPTIONS /codec/k/:key/decode": true,
	"POST /codec/k/:key/decode": true,
	"GET /openapi.json":         true, "GET /docs": true,
	"GET /*": true, // the portal's pages; it signs in through POST /v1/session
	// The ERP's users: the tenant is the Host's, the credential in the body
	// (signin_test.go); the keys that verify their tokens are public.
	"POST /v1/auth/login": true, "POST /v1/auth/refresh": true, "POST /v1/auth/logout": true,
	"POST /v1/auth/password": true, "POST /v1/auth/reset": true, "GET /.well-known/jwks.json": true,
}

// TestAuthorizationMatrix calls every route of the router with no token, a
// malformed one, a revoked one, and tenant A's admin token aimed at tenant B's
// things. A route added without a case here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	a, tokA := s.createTenant("matrix-a", "professional")
	b, tokB := s.createTenant("matrix-b", "professional")
	companyB := s.defaultCompany(tokB)
	code, out := s.call(http.MethodPost, "/v1/companies/"+companyB+"/users", tokB, map[string]any{"email": "bee@matrix-b.example.com", "name": "Bee"})
	require.Equal(t, http.StatusCreated, code, out)
	userB := out["id"].(string)
	invoiceB := s.openInvoice(b, 4900).ID.String()
	code, out = s.call(http.MethodPost, "/v1/tenants/"+b.String()+"/tokens", s.operator, nil)
	require.Equal(t, http.StatusCreated, code)
	tokenB := out["id"].(string)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+a.String()+"/tokens", tokA, map[string]any{"name": "doomed"})
	require.Equal(t, http.StatusCreated, code)
	revoked := out["token"].(string)
	code, _ = s.call(http.MethodDelete, "/v1/tokens/"+out["id"].(string), tokA, nil)
	require.Equal(t, http.StatusNoContent, code)
	code, _ = s.call(http.MethodDelete, "/v1/tokens/"+tokenB, tokA, nil)
	require.Equal(t, http.StatusNotFound, code, "tenant A cannot revoke B's token")

	B := b.String()
	service := s.serviceToken()
	type tcase struct {
		path   string
		body   string
		expect int // with tenant A's token
	}
	cases := map[string]tcase{
		"GET /v1/me":                              {"/v1/me", "", http.StatusOK},
		"GET /v1/session":                         {"/v1/session", "", http.StatusNotFound}, // a token is not a session
		"DELETE /v1/session":                      {"/v1/session", "", http.StatusNotFound},
		"POST /codec/decode":                      {"/codec/decode", `{"payloads":[]}`, http.StatusForbidden},
		"POST /codec/encode":                      {"/codec/encode", `{"payloads":[]}`, http.StatusForbidden},
		"DELETE /v1/tokens/:id":                   {"/v1/tokens/" + tokenB, "", http.StatusNotFound},
		"POST /v1/tenants":                        {"/v1/tenants", `{}`, http.StatusForbidden},
		"GET /v1/tenants":                         {"/v1/tenants", "", http.StatusForbidden},
		"GET /v1/tenants/:id":                     {"/v1/tenants/" + B, "", http.StatusNotFound},
		"POST /v1/tenants/:id/tokens":             {"/v1/tenants/" + B + "/tokens", "", http.StatusNotFound},
		"GET /v1/tenants/:id/notifications":       {"/v1/tenants/" + B + "/notifications", "", http.StatusNotFound},
		"GET /v1/tenants/:id/audit":               {"/v1/tenants/" + B + "/audit", "", http.StatusNotFound},
		"POST /v1/tenants/:id/plan":               {"/v1/tenants/" + B + "/plan", `{"plan_code":"enterprise"}`, http.StatusNotFound},
		"POST /v1/tenants/:id/plan/preview":       {"/v1/tenants/" + B + "/plan/preview", `{"plan_code":"enterprise"}`, http.StatusNotFound},
		"PUT /v1/tenants/:id/payment-method":      {"/v1/tenants/" + B + "/payment-method", `{"payment_method":"pm_card_visa"}`, http.StatusNotFound},
		"POST /v1/tenants/:id/verify":             {"/v1/tenants/" + B + "/verify", `{"code":"12345678"}`, http.StatusNotFound},
		"GET /v1/tenants/:id/invoices":            {"/v1/tenants/" + B + "/invoices", "", http.StatusNotFound},
		"GET /v1/invoices/:id":                    {"/v1/invoices/" + invoiceB, "", http.StatusNotFound},
		"POST /v1/tenants/:id/suspend":            {"/v1/tenants/" + B + "/suspend", `{"reason":"x"}`, http.StatusNotFound},
		"POST /v1/tenants/:id/reactivate":         {"/v1/tenants/" + B + "/reactivate", "", http.StatusNotFound},
		"POST /v1/tenants/:id/grace":              {"/v1/tenants/" + B + "/grace", `{"until":"2030-01-01T00:00:00Z"}`, http.StatusNotFound},
		"DELETE /v1/tenants/:id":                  {"/v1/tenants/" + B, "", http.StatusNotFound},
		"GET /v1/tenants/:id/backups":             {"/v1/tenants/" + B + "/backups", "", http.StatusNotFound},
		"GET /v1/tenants/:id/usage":               {"/v1/tenants/" + B + "/usage", "", http.StatusNotFound},
		"GET /v1/tenants/:id/timeline":            {"/v1/tenants/" + B + "/timeline", "", http.StatusNotFound},
		"POST /v1/tenants/:id/trial/extend":       {"/v1/tenants/" + B + "/trial/extend", `{"until":"2030-01-01T00:00:00Z","reason":"x"}`, http.StatusNotFound},
		"POST /v1/tenants/:id/trial/end":          {"/v1/tenants/" + B + "/trial/end", `{"reason":"x"}`, http.StatusNotFound},
		"POST /v1/tenants/:id/onboarding/restart": {"/v1/tenants/" + B + "/onboarding/restart", `{"reason":"x"}`, http.StatusNotFound},
		"GET /v1/tenants/export":                  {"/v1/tenants/export", "", http.StatusForbidden},
		"POST /v1/bulk-operations":                {"/v1/bulk-operations", `{"action":"suspend","tenant_ids":["` + B + `"],"reason":"x"}`, http.StatusForbidden},
		"GET /v1/bulk-operations/:id":             {"/v1/bulk-operations/" + uuid.NewString(), "", http.StatusForbidden},
		"GET /v1/sweeps":                          {"/v1/sweeps", "", http.StatusForbidden},
		"POST /v1/tenants/:id/move":               {"/v1/tenants/" + B + "/move", `{"server":"local","reason":"x"}`, http.StatusNotFound},
		"POST /v1/database-servers/:id/drain":     {"/v1/database-servers/" + uuid.NewString() + "/drain", `{"reason":"x"}`, http.StatusForbidden},
		"POST /v1/fleet/migrations":               {"/v1/fleet/migrations", `{}`, http.StatusForbidden},
		"GET /v1/fleet/migrations":                {"/v1/fleet/migrations", "", http.StatusForbidden},
		"GET /v1/fleet/migrations/:id":            {"/v1/fleet/migrations/" + uuid.NewString(), "", http.StatusForbidden},
		"POST /v1/fleet/migrations/:id/pause":     {"/v1/fleet/migrations/" + uuid.NewString() + "/pause", "", http.StatusForbidden},
		"POST /v1/fleet/migrations/:id/resume":    {"/v1/fleet/migrations/" + uuid.NewString() + "/resume", "", http.StatusForbidden},
		"POST /v1/fleet/migrations/:id/abort":     {"/v1/fleet/migrations/" + uuid.NewString() + "/abort", "", http.StatusForbidden},
		"POST /v1/sweeps/:name":                   {"/v1/sweeps/trials", "", http.StatusForbidden},
		"GET /v1/alerts":                          {"/v1/alerts", "", http.StatusOK},
		"GET /v1/kpis":                            {"/v1/kpis", "", http.StatusForbidden},
		"GET /v1/database-servers":                {"/v1/database-servers", "", http.StatusForbidden},
		"GET /v1/warm-pool":                       {"/v1/warm-pool", "", http.StatusForbidden},
		"GET /v1/resolve":                         {"/v1/resolve?subdomain=matrix-b", "", http.StatusForbidden},
		"GET /v1/resolve/changes":                 {"/v1/resolve/changes", "", http.StatusForbidden},
		"POST /v1/signing-keys/rotate":            {"/v1/signing-keys/rotate", "", http.StatusForbidden},
		"POST /v1/database-servers":               {"/v1/database-servers", `{}`, http.StatusForbidden},
		"POST /v1/database-servers/:id/check":     {"/v1/database-servers/" + uuid.NewString() + "/check", "", http.StatusForbidden},
		"GET /v1/companies":                       {"/v1/companies", "", http.StatusOK},
		"POST /v1/companies":                      {"/v1/companies", `{}`, http.StatusUnprocessableEntity},
		"GET /v1/companies/:id":                   {"/v1/companies/" + companyB, "", http.StatusNotFound},
		"DELETE /v1/companies/:id":                {"/v1/companies/" + companyB, "", http.StatusNotFound},
		"GET /v1/companies/:id/users":             {"/v1/companies/" + companyB + "/users", "", http.StatusNotFound},
		"POST /v1/companies/:id/users":            {"/v1/companies/" + companyB + "/users", `{"email":"x@matrix-a.example.com","name":"X"}`, http.StatusNotFound},
		"DELETE /v1/users/:id":                    {"/v1/users/" + userB, "", http.StatusNotFound},
		"POST /v1/users/:id/invitation":           {"/v1/users/" + userB + "/invitation", "", http.StatusNotFound},
		"POST /v1/transactions":                   {"/v1/transactions", `{"company_id":"` + companyB + `","amount_cents":1}`, http.StatusNotFound},
	}
	sendWith := func(method, path, body string, header map[string]string) (int, string) {
		req, err := http.NewRequest(method, s.url+path, bytes.NewReader([]byte(body)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	send := func(method, path, body, auth string) (int, string) {
		if auth == "" {
			return sendWith(method, path, body, nil)
		}
		return sendWith(method, path, body, map[string]string{"Authorization": auth})
	}
	// Tenant A signed in from a browser: its session cookie and CSRF token, and a session that has ended.
	sessionA, csrfA := s.session(tokA)
	ended, endedCSRF := s.session(tokA)
	code, _ = sendWith(http.MethodDelete, "/v1/session", "", map[string]string{"Cookie": "landlord_session=" + ended, "X-CSRF-Token": endedCSRF})
	require.Equal(t, http.StatusNoContent, code)
	sessionExpect := map[string]int{"GET /v1/session": http.StatusOK}

	var routes []string
	for _, r := range server.New(s.apiOptions).Routes() {
		if r.Method != "echo_route_not_found" { // Echo's own catch-all for groups
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	sort.Strings(routes)
	seen := map[string]bool{}
	for _, route := range routes {
		if publicRoutes[route] || seen[route] {
			continue
		}
		seen[route] = true
		c, ok := cases[route]
		if !ok {
			t.Errorf("route %s has no authorization case", route)
			continue
		}
		method := strings.SplitN(route, " ", 2)[0]
		for _, auth := range []string{"", "Bearer", "Bearer not a token", "Basic YTpi", "Bearer " + revoked} {
			code, body := send(method, c.path, c.body, auth)
			assert.Equal(t, http.StatusUnauthorized, code, "%s with %q: %s", route, auth, body)
		}
		// A service token resolves tenants and does nothing else.
		if strings.HasPrefix(route, "GET /v1/resolve") {
			if route == "GET /v1/resolve" {
				code, body := send(method, c.path, c.body, "Bearer "+service)
				assert.Equal(t, http.StatusOK, code, "%s with a service token: %s", route, body)
			}
		} else {
			code, body := send(method, c.path, c.body, "Bearer "+service)
			assert.Equal(t, http.StatusForbidden, code, "%s with a service token: %s", route, body)
		}
		code, body := send(method, c.path, c.body, "Bearer "+tokA)
		assert.Equal(t, c.expect, code, "%s with tenant A's token: %s", route, body)
		for _, secret := range []string{B, companyB, userB, invoiceB, "matrix-b"} {
			assert.NotContains(t, body, secret, "%s leaks tenant B", route)
		}

		// The same through tenant A's browser session.
		cookie := "landlord_session=" + sessionA
		code, body = sendWith(method, c.path, c.body, map[string]string{"Cookie": "landlord_session=" + ended, "X-CSRF-Token": endedCSRF})
		assert.Equal(t, http.StatusUnauthorized, code, "%s with an ended session: %s", route, body)
		if method != http.MethodGet {
			code, body = sendWith(method, c.path, c.body, map[string]string{"Cookie": cookie})
			assert.Equal(t, http.StatusForbidden, code, "%s with a session but no CSRF token: %s", route, body)
		}
		if route == "DELETE /v1/session" {
			continue // it would end the session the other routes use
		}
		want, ok := sessionExpect[route]
		if !ok {
			want = c.expect
		}
		code, body = sendWith(method, c.path, c.body, map[string]string{"Cookie": cookie, "X-CSRF-Token": csrfA})
		assert.Equal(t, want, code, "%s with tenant A's session: %s", route, body)
		for _, secret := range []string{B, companyB, userB, invoiceB, "matrix-b"} {
			assert.NotContains(t, body, secret, "%s leaks tenant B through a session", route)
		}
	}
	for route := range cases {
		assert.True(t, seen[route], "case %s matches no route", route)
	}
}

func TestEveryMintedTokenIsAuditedWithItsMinter(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("minted", "starter")
	// The operator mints a tenant token; the tenant admin mints another.
	code, byOp := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/tokens", s.operator, map[string]any{"name": "support"})
	require.Equal(t, http.StatusCreated, code, byOp)
	code, byAdmin := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/tokens", admin, map[string]any{"name": "ci"})
	require.Equal(t, http.StatusCreated, code, byAdmin)

	minters := map[string]string{}
	rows, err := s.db.Pool.Query(t.Context(), `SELECT details->>'name', actor FROM audit_log WHERE tenant_id = $1 AND action = 'TOKEN_CREATED'`, id)
	require.NoError(t, err)
	for rows.Next() {
		var name, actor string
		require.NoError(t, rows.Scan(&name, &actor))
		minters[name] = actor
	}
	require.NoError(t, rows.Err())
	assert.Regexp(t, `^signup:|^operator:`, minters["admin (signup)"], "the signup's token too")
	assert.Regexp(t, `^operator:`, minters["support"])
	assert.Regexp(t, `^tenant_admin:`, minters["ci"])

	// What the operator's tenant token does is audited as the operator's doing.
	code, _ = s.call(http.MethodDelete, "/v1/tokens/"+byAdmin["id"].(string), byOp["token"].(string), nil)
	require.Equal(t, http.StatusNoContent, code)
	var actor string
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT actor FROM audit_log WHERE tenant_id = $1 AND action = 'TOKEN_REVOKED'`, id).Scan(&actor))
	assert.Regexp(t, `^tenant_admin:[0-9a-f-]+ via operator:[0-9a-f-]+$`, actor)
}

func TestReadinessNamesTheDependencyDownAndNothingMore(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true})
	down, err := pgxpool.New(t.Context(), "postgres://landlord_app:secret@127.0.0.1:1/landlord_platform?connect_timeout=1")
	require.NoError(t, err)
	defer down.Close()
	o := s.apiOptions
	o.Pool = down
	hs := serveAPI(t, o)
	resp, err := http.Get(hs.URL + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.JSONEq(t, `{"database":"unavailable","temporal":"ok"}`, string(raw))
	for _, secret := range []string{"landlord_app", "landlord_platform", "127.0.0.1", "secret"} {
		assert.NotContains(t, string(raw), secret)
	}
}

func TestHostileBodiesAndSignaturesAreRefusedDeliberately(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("deliberate", "starter")

	// Keys are unique and spelt as documented: no second reading of one body.
	raw := func(path, tok, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out := map[string]any{}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, out := raw("/v1/tenants/"+id.String()+"/plan", admin, `{"plan_code":"starter","plan_code":"enterprise"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	assert.Contains(t, out["error"].(map[string]any)["message"], "appears twice")
	code, out = raw("/v1/tenants/"+id.String()+"/plan", admin, `{"PLAN_CODE":"enterprise"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	assert.Contains(t, out["error"].(map[string]any)["message"], `must be spelt "plan_code"`)

	// A huge plan code is refused at the door: it never reaches a workflow or a log line.
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": strings.Repeat("x", 60000)})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Equal(t, map[string]any{"plan_code": "is not an available plan"}, out["error"].(map[string]any)["details"])

	// Names that would read otherwise than they are.
	for _, name := range []string{"Acme\u202egnp.exe", "Ac\u200bme"} {
		body := signupBody("sneaky")
		body["company_name"] = name
		code, out = s.call(http.MethodPost, "/v1/signup", "", body)
		assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	}

	// Negative amounts are postings too (credit notes, refunds): accepted, within ±10^12 cents.
	code, out = s.call(http.MethodGet, "/v1/companies", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	company := out["companies"].([]any)[0].(map[string]any)["id"]
	code, out = s.call(http.MethodPost, "/v1/transactions", admin, map[string]any{"company_id": company, "amount_cents": -500, "memo": "credit note"})
	assert.Equal(t, http.StatusCreated, code, out)
	code, _ = s.call(http.MethodPost, "/v1/transactions", admin, map[string]any{"company_id": company, "amount_cents": -2e12, "memo": "absurd"})
	assert.Equal(t, http.StatusUnprocessableEntity, code)

	// A Stripe signature dated ahead of now is as bad as one too old.
	assert.Equal(t, http.StatusBadRequest, s.postWebhook("evt_future", "invoice.paid", "in_x", webhookSecret, time.Now().Add(time.Hour)))
	assert.Equal(t, http.StatusBadRequest, s.postWebhook("evt_past", "invoice.paid", "in_x", webhookSecret, time.Now().Add(-time.Hour)))
}

func TestForgedWorkflowsChangeNoTenant(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	held, _ := s.createTenant("forged-held", "starter")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+held.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	live, _ := s.createTenant("forged-live", "starter")

	// Someone who reaches Temporal without landlord's key: the worker refuses
	// the unsealed input, so the workflow fails before taking a step.
	outsider := testenv.TemporalClientWith(t, client.Options{})
	forged, err := outsider.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: "forged-outsider/" + held.String(), TaskQueue: s.taskQueue},
		workflows.Reactivate, workflows.ReactivateInput{TenantID: held, Actor: "workflow:sweep-dunning", Force: true, Policy: testPolicy})
	require.NoError(t, err)
	assert.ErrorContains(t, forged.Get(t.Context(), nil), "not sealed with landlord's key")
	for _, e := range s.history(forged.GetID()).Events {
		assert.Nil(t, e.GetActivityTaskScheduledEventAttributes(), "an unsealed workflow scheduled a step")
	}

	// Even a client holding the key (a codec server, say) cannot act for an
	// operator or a tenant admin without a live token of theirs.
	start := func(id string, wf, in any) error {
		run, err := s.temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: s.taskQueue}, wf, in)
		require.NoError(t, err)
		return run.Get(t.Context(), nil)
	}
	for _, actor := range []string{"operator:" + uuid.NewString(), "workflow:sweep-dunning", "tenant_admin:" + uuid.NewString()} {
		err := start("forged-reactivate/"+actor, workflows.Reactivate, workflows.ReactivateInput{TenantID: held, Actor: actor, Force: true, Policy: testPolicy})
		assert.ErrorContains(t, err, "forbidden", actor)
		err = start("forged-suspend/"+actor, workflows.Suspend, workflows.SuspendInput{TenantID: live, Reason: "whim", Actor: actor})
		assert.ErrorContains(t, err, "forbidden", actor)
		err = start("forged-plan/"+actor, workflows.ChangePlan, workflows.ChangePlanInput{TenantID: live, PlanCode: "unlimited", Actor: actor})
		assert.ErrorContains(t, err, "forbidden", actor)
	}
	assert.Equal(t, "suspended", string(s.tenantRow(held).Status))
	assert.Equal(t, "active", string(s.tenantRow(live).Status))
	assert.Equal(t, "starter", s.tenantRow(live).PlanCode)
	assert.Empty(t, s.actions(held, "TENANT_REACTIVATED"), "no false audit row")
	s.waitAccess(held, false)
}

// session signs tok in as a browser does and returns the session cookie's value and its CSRF token.
func (s *stack) session(tok string) (cookie, csrf string) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"token": tok})
	res, err := http.Post(s.url+"/v1/session", "application/json", bytes.NewReader(body))
	require.NoError(s.t, err)
	defer res.Body.Close()
	require.Equal(s.t, http.StatusCreated, res.StatusCode)
	var out map[string]any
	require.NoError(s.t, json.NewDecoder(res.Body).Decode(&out))
	for _, c := range res.Cookies() {
		if c.Name == "landlord_session" {
			cookie = c.Value
		}
	}
	require.NotEmpty(s.t, cookie)
	return cookie, out["csrf_token"].(string)
}

// TestBrowserSessionsAreCookiesWithACSRFToken: signing in turns a token into
// an HttpOnly, SameSite=Strict cookie that page scripts cannot read; a
// request that changes something needs the session's CSRF token too; signing
// out, or revoking the token, ends the session.
func TestBrowserSessionsAreCookiesWithACSRFToken(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("session-co", "starter")
	do := func(method, path, body string, header map[string]string) (*http.Response, map[string]any) {
		req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res, out
	}
	res, _ := do(http.MethodPost, "/v1/session", `{"token":"llt_not-a-real-token-at-all-000000000000000"}`, nil)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)

	res, out := do(http.MethodPost, "/v1/session", `{"token":"`+admin+`"}`, nil)
	require.Equal(t, http.StatusCreated, res.StatusCode, out)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "landlord_session" {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	assert.True(t, cookie.HttpOnly, "page scripts cannot read it")
	assert.Equal(t, http.SameSiteStrictMode, cookie.SameSite, "other sites' pages do not send it")
	assert.Equal(t, "/", cookie.Path)
	assert.Equal(t, "tenant_admin", out["role"])
	assert.Equal(t, id.String(), out["tenant_id"])
	csrf := out["csrf_token"].(string)
	assert.NotContains(t, fmt.Sprint(out), admin, "the token is not echoed")
	jar := map[string]string{"Cookie": "landlord_session=" + cookie.Value}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range jar {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}

	res, out = do(http.MethodGet, "/v1/me", "", jar)
	require.Equal(t, http.StatusOK, res.StatusCode, out)
	assert.Equal(t, id.String(), out["tenant"].(map[string]any)["id"])
	_, out = do(http.MethodGet, "/v1/session", "", jar)
	assert.Equal(t, csrf, out["csrf_token"], "a reloaded page gets its CSRF token back")

	users := "/v1/companies/" + s.defaultCompany(admin) + "/users"
	user := `{"email":"web@session-co.example.com","name":"Web"}`
	res, out = do(http.MethodPost, users, user, jar)
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token: %v", out)
	res, out = do(http.MethodPost, users, user, with(map[string]string{"X-CSRF-Token": "guess"}))
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "a wrong CSRF token: %v", out)
	res, out = do(http.MethodPost, users, user, with(map[string]string{"X-CSRF-Token": csrf}))
	assert.Equal(t, http.StatusCreated, res.StatusCode, out)
	assert.Equal(t, []string{"SESSION_STARTED"}, s.actions(id, "SESSION_STARTED"))

	// Signing out ends it.
	res, _ = do(http.MethodDelete, "/v1/session", "", with(map[string]string{"X-CSRF-Token": csrf}))
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	for _, c := range res.Cookies() {
		if c.Name == "landlord_session" {
			assert.Negative(t, c.MaxAge, "the cookie is cleared")
		}
	}
	res, _ = do(http.MethodGet, "/v1/me", "", jar)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)

	// So does revoking the token it was made from.
	cookie2, _ := s.session(admin)
	code, out := s.call(http.MethodGet, "/v1/me", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	code, _ = s.call(http.MethodDelete, "/v1/tokens/"+out["token_id"].(string), admin, nil)
	require.Equal(t, http.StatusNoContent, code)
	res, _ = do(http.MethodGet, "/v1/me", "", map[string]string{"Cookie": "landlord_session=" + cookie2})
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
}
