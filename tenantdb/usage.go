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

const usageQuery = `
	SELECT (SELECT count(*) FROM companies),
	       (SELECT count(*) FROM users),
	       COALESCE((SELECT max(n) FROM (SELECT count(*) AS n FROM users GROUP BY company_id) per_company), 0)`

// Usage counts companies and users in a tenant database.
func (s *Servers) Usage(ctx context.Context, srv Server, name string) (Usage, error) {
	conn, err := s.Connect(ctx, srv, name)
	if err != nil {
		return Usage{}, fmt.Errorf("connect to tenant database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var u Usage
	err = conn.QueryRow(ctx, usageQuery).Scan(&u.Companies, &u.Users, &u.MaxUsersInACompany)
	if err != nil {
		return Usage{}, fmt.Errorf("count usage in %s: %w", name, err)
	}
	return u, nil
}

// WithUsageLocked counts the tenant's usage under the locks its limited
// writes take (see CreateCompany and CreateUser) and runs fn while it holds
// them, so no company or user is added between the count and what fn commits
// (a plan change): a writer that waited reads the limits fn left in force.
func (s *Servers) WithUsageLocked(ctx context.Context, srv Server, name string, fn func(Usage) error) error {
	conn, err := s.Connect(ctx, srv, name)
	if err != nil {
		return fmt.Errorf("connect to tenant database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1), pg_advisory_xact_lock($2)`, lockCompanies, lockUsers); err != nil {
			return fmt.Errorf("lock usage of %s: %w", name, err)
		}
		var u Usage
		if err := tx.QueryRow(ctx, usageQuery).Scan(&u.Companies, &u.Users, &u.MaxUsersInACompany); err != nil {
			return fmt.Errorf("count usage in %s: %w", name, err)
		}
		return fn(u)
	})
}
