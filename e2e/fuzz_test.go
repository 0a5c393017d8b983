package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/server"
)

// FuzzWriteEndpoints sends each body to every write route of the router (with
// a token that may use it): whatever arrives, the answer is never a 5xx.
// `go test` runs the seeds; `go test -fuzz FuzzWriteEndpoints -parallel 1 ./e2e`
// explores, slowly: every input goes through the whole stack.
func FuzzWriteEndpoints(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"a":1}`, `{"plan_code":"professional"}`, `{"payment_method":"pm_card_visa"}`,
		`{"code":"x'; DROP TABLE companies;--","name":"\u0000"}`, `{"email":"a@b.example.com","name":"` + strings.Repeat("é", 300) + `"}`,
		`{"company_id":"00000000-0000-0000-0000-000000000000","amount_cents":1e30}`, `{"until":"not a time"}`,
		`{"company_name":"A","subdomain":"fuzz-co","admin_email":"a@b.example.com","admin_name":"A","plan_code":"unlimited"}`,
		`{"name":"srv","host":"-bad-","port":70000}`, `{{{{`, `{"reason":"` + strings.Repeat("r", 1000) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	s := newStack(f, stackOptions{signupsPerHour: 1 << 20, workflowWait: 300 * time.Millisecond})
	id, tenantTok := s.createTenant("fuzzed", "starter")
	company := s.defaultCompany(tenantTok)
	type target struct{ method, path, token string }
	var targets []target
	for _, r := range server.New(s.apiOptions).Routes() {
		route := r.Method + " " + r.Path
		switch {
		case r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodDelete,
			route == "DELETE /v1/tenants/:id", route == "POST /v1/tenants/:id/suspend": // they end the tenant under test
			continue
		}
		tok := s.operator
		path := r.Path
		switch {
		case strings.HasPrefix(path, "/v1/companies"), strings.HasPrefix(path, "/v1/users"), path == "/v1/transactions",
			path == "/v1/tenants/:id/plan", path == "/v1/tenants/:id/payment-method":
			tok = tenantTok
		}
		switch {
		case strings.HasPrefix(path, "/v1/tenants/:id"):
			path = strings.Replace(path, ":id", id.String(), 1)
		case strings.HasPrefix(path, "/v1/companies/:id"):
			path = strings.Replace(path, ":id", company, 1)
		}
		path = strings.Replace(strings.Replace(path, ":id", uuid.NewString(), 1), ":name", "usage", 1)
		targets = append(targets, target{r.Method, path, tok})
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tg := range targets {
			req, err := http.NewRequest(tg.method, s.url+tg.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tg.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("%s %s with %q: %d %s", tg.method, tg.path, body, resp.StatusCode, raw)
			}
		}
	})
}
