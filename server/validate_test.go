package server

import (
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
