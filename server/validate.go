package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	subdomainRe  = regexp.MustCompile(`^[a-z0-9](-?[a-z0-9])*$`)
	tenantCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{2,49}$`)
	phoneRe      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// reservedSubdomains are names the operator's own services use or that mislead users.
var reservedSubdomains = map[string]bool{
	"www": true, "api": true, "admin": true, "app": true, "mail": true, "smtp": true, "imap": true,
	"pop": true, "ftp": true, "ns1": true, "ns2": true, "dns": true, "status": true, "help": true,
	"support": true, "docs": true, "blog": true, "billing": true, "login": true, "auth": true,
	"portal": true, "dashboard": true, "static": true, "assets": true, "cdn": true, "internal": true,
	"root": true, "system": true, "landlord": true, "operator": true, "postgres": true, "temporal": true,
	"test": true, "staging": true, "dev": true, "localhost": true,
}

// validSubdomain says what is wrong with a subdomain, or "" when it is fine.
func validSubdomain(s string) string {
	switch {
	case len(s) < 3 || len(s) > 50:
		return "must be 3 to 50 characters"
	case !subdomainRe.MatchString(s):
		return "must be lowercase letters, digits and single hyphens, starting and ending with a letter or digit"
	case reservedSubdomains[s]:
		return "is reserved"
	}
	return ""
}

// validTenantCode says what is wrong with a tenant code, or "".
func validTenantCode(s string) string {
	if !tenantCodeRe.MatchString(s) {
		return "must start with a letter and be 3 to 50 lowercase letters, digits or underscores"
	}
	return ""
}

// validEmail says what is wrong with an email address, or "".
func validEmail(s string) string {
	if len(s) > 254 {
		return "must be at most 254 characters"
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "must be a plain email address such as ana@example.com"
	}
	return ""
}

// validName says what is wrong with a human-readable name, or "".
func validName(s string, max int) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "must not be empty"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(s) > max:
		return "is too long"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	case strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0:
		// Bidirectional overrides and zero-width characters make a name read
		// otherwise than it is (in an email subject, say).
		return "must not contain invisible formatting characters"
	}
	return ""
}

// validPhone says what is wrong with a phone number, or "".
func validPhone(s string) string {
	if !phoneRe.MatchString(s) {
		return "must be in E.164 form such as +14155550123"
	}
	return ""
}

// tenantCodeFor derives a tenant code from a valid subdomain.
func tenantCodeFor(subdomain string) string {
	code := strings.ReplaceAll(subdomain, "-", "_")
	if code[0] >= '0' && code[0] <= '9' {
		// "t__" cannot come from a subdomain (no "--" in a DNS label), so "9zz"
		// and "t9zz" (or "t-9zz") keep distinct codes.
		code = "t__" + code
	}
	if len(code) > 50 {
		// Cut, and keep what was cut apart by a digest of the whole subdomain.
		sum := sha256.Sum256([]byte(subdomain))
		code = code[:41] + "__" + hex.EncodeToString(sum[:])[:7]
	}
	return code
}
