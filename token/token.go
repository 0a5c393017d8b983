// Package token mints and hashes API tokens. A token is shown once; only its
// SHA-256 is stored.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Roles a token can carry.
const (
	RoleOperator    = "operator"
	RoleTenantAdmin = "tenant_admin"
	RoleService     = "service" // the ERP's own services: they may only resolve tenants
)

var prefixes = map[string]string{RoleOperator: "llo_", RoleTenantAdmin: "llt_", RoleService: "lls_"}

// New mints a random 256-bit token for role, with a readable prefix per role.
func New(role string) (plain string, hash []byte, prefix string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	plain = prefixes[role] + base64.RawURLEncoding.EncodeToString(b)
	return plain, Hash(plain), Prefix(plain)
}

// Hash is what is stored and looked up for a token.
func Hash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// Prefix is the part of a token that may be shown again (role marker and four characters).
func Prefix(plain string) string {
	if len(plain) > 8 {
		return plain[:8]
	}
	return plain
}
