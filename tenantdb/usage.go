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

// Writes is what a database server knows of one tenant database without
// opening it: its size, and the rows written into it since the server's
// statistics began (inserted, updated and deleted). The count only grows
// while the statistics last; a reset or a crash of the server starts it again.
type Writes struct {
	Bytes int64
	Rows  int64
}

// WritesOf reads Writes for each of the named databases of srv that exists,
// in one query on the server's maintenance database. A server publishes a
// backend's counts when it commits (at most a second or so late when idle),
// so a write committed before this call is in the count or in the next one.
func (s *Servers) WritesOf(ctx context.Context, srv Server, names []string) (map[string]Writes, error) {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `
		SELECT d.datname, pg_database_size(d.oid), COALESCE(st.tup_inserted + st.tup_updated + st.tup_deleted, 0)
		FROM pg_database d LEFT JOIN pg_stat_database st ON st.datid = d.oid
		WHERE d.datname = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("read the writes of %d databases on %s: %w", len(names), srv.Host, err)
	}
	out := make(map[string]Writes, len(names))
	var name string
	var w Writes
	_, err = pgx.ForEachRow(rows, []any{&name, &w.Bytes, &w.Rows}, func() error {
		out[name] = w
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the writes of %d databases on %s: %w", len(names), srv.Host, err)
	}
	return out, nil
}
