package tenantdb

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Usage is what a tenant uses of the limits a plan sets on companies and users.
type Usage struct {
	Companies          int
	Users              int
	MaxUsersInACompany int
}

// Usage counts companies and users in a tenant database.
func (s *Servers) Usage(ctx context.Context, srv Server, name string) (Usage, error) {
	conn, err := pgx.ConnectConfig(ctx, s.ConnConfig(srv, name))
	if err != nil {
		return Usage{}, fmt.Errorf("connect to tenant database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var u Usage
	err = conn.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM companies),
		       (SELECT count(*) FROM users),
		       COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM users GROUP BY company_id) per_company), 0)`).
		Scan(&u.Companies, &u.Users, &u.MaxUsersInACompany)
	if err != nil {
		return Usage{}, fmt.Errorf("count usage in %s: %w", name, err)
	}
	return u, nil
}
