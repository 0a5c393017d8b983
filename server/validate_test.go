package server

import (
	"encoding/json"
	"github.com/stretchr/testify/assert"
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	cases := []struct {
		name  string
		check func(string) string
		in    string
		ok    bool
	}{
		{"subdomain", validSubdomain, "acme", true},
		{"subdomain", validSubdomain, "acme-corp-2", true},
		{"subdomain", validSubdomain, "42co", true},
		{"subdomain", validSubdomain, "ab", false},
		{"subdomain", validSubdomain, strings.Repeat("a", 51), false},
		{"subdomain", validSubdomain, "-acme", false},
		{"subdomain", validSubdomain, "acme-", false},
		{"subdomain", validSubdomain, "ac--me", false},
		{"subdomain", validSubdomain, "Acme", false},
		{"subdomain", validSubdomain, "www", false},
		{"subdomain", validSubdomain, "a'b;--", false},
		{"subdomain", validSubdomain, "ac\x00me", false},
		{"email", validEmail, "ana@example.com", true},
		{"email", validEmail, "ana+erp@sub.example.co", true},
		{"email", validEmail, "ana@localhost", false},
		{"email", validEmail, "Ana <ana@example.com>", false},
		{"email", validEmail, "ana@example.com\r\nBcc: x@y.z", false},
		{"email", validEmail, strings.Repeat("a", 250) + "@example.com", false},
		{"name", func(s string) string { return validName(s, 200) }, "Acme GmbH & Co. KG", true},
		{"name", func(s string) string { return validName(s, 200) }, "Ünïcødé 株式会社", true},
		{"name", func(s string) string { return validName(s, 200) }, "  ", false},
		{"name", func(s string) string { return validName(s, 200) }, "a\x00b", false},
		{"name", func(s string) string { return validName(s, 200) }, "\xff\xfe", false},
		{"name", func(s string) string { return validName(s, 200) }, strings.Repeat("é", 201), false},
		{"phone", validPhone, "+14155550123", true},
		{"phone", validPhone, "4155550123", false},
		{"tenant_code", validTenantCode, "acme_corp", true},
		{"tenant_code", validTenantCode, "1acme", false},
	}
	for _, c := range cases {
		if got := c.check(c.in) == ""; got != c.ok {
			t.Errorf("%s %q: valid = %v, want %v (%s)", c.name, c.in, got, c.ok, c.check(c.in))
		}
	}
}

// FuzzSubdomain: whatever passes is a DNS label that also yields a valid tenant code.
func FuzzSubdomain(f *testing.F) {
	for _, s := range []string{"acme", "x'; DROP TABLE tenants;--", "a\x00b", "ácme", "9lives", strings.Repeat("z", 64), "a-b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if validSubdomain(s) != "" {
			return
		}
		if len(s) < 3 || len(s) > 50 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("accepted %q", s)
		}
		if code := tenantCodeFor(s); validTenantCode(code) != "" {
			t.Fatalf("subdomain %q gives invalid tenant code %q", s, code)
		}
	})
}

// FuzzSignupBody: whatever JSON arrives, decoding and validation never panic,
// and a body that passes carries only valid names.
func FuzzSignupBody(f *testing.F) {
	for _, s := range []string{
		`{"company_name":"Acme","subdomain":"acme","admin_email":"a@acme.example.com","admin_name":"Ana"}`,
		`{"company_name":"Robert'); DROP TABLE tenants;--","subdomain":"x'; --","admin_email":"a@b.c","admin_name":"\u0000"}`,
		`{"company_name":"` + strings.Repeat("é", 300) + `","subdomain":"` + strings.Repeat("a", 64) + `"}`,
		`{"subdomain":"ACME","tenant_code":"1bad","plan_code":"unlimited","billing_cycle":"weekly","phone":"+1"}`,
		`[]`, `null`, `{"company_name":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req createTenantRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		if req.validate() != nil {
			return
		}
		if validSubdomain(req.Subdomain) != "" || validTenantCode(req.TenantCode) != "" || validEmail(req.AdminEmail) != "" ||
			validName(req.CompanyName, 200) != "" || validName(req.AdminName, 200) != "" {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		if req.BillingCycle != "monthly" && req.BillingCycle != "annual" {
			t.Fatalf("accepted billing cycle %q", req.BillingCycle)
		}
	})
}

func TestDerivedTenantCodesDoNotCollide(t *testing.T) {
	long := strings.Repeat("a", 45)
	subs := []string{"9zz", "t9zz", "t-9zz", "t9-zz", long + "-one", long + "-two", "1" + long + "-x", "1" + long + "-y"}
	seen := map[string]string{}
	for _, sub := range subs {
		code := tenantCodeFor(sub)
		assert.Empty(t, validTenantCode(code), "%s gives the valid code %q", sub, code)
		if other, dup := seen[code]; dup {
			t.Errorf("%s and %s both give %q", sub, other, code)
		}
		seen[code] = sub
	}
	assert.Equal(t, "acme_corp", tenantCodeFor("acme-corp"), "a plain subdomain keeps a readable code")
}
