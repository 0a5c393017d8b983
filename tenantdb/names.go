// Package tenantdb provisions tenant databases: the template, roles, databases,
// grants and teardown. Its DDL is built only from tenant UUIDs and quoted with
// pgx's identifier sanitizer, never from user input.
package tenantdb

import (
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Name is the database and role name of a tenant: tenant_<uuid without dashes>,
// 39 bytes, no personal data.
func Name(tenantID uuid.UUID) string {
	return "tenant_" + strings.ReplaceAll(tenantID.String(), "-", "")
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// literal quotes s as an SQL string literal (for DDL, which takes no parameters).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
