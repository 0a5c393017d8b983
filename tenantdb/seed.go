package tenantdb

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SeedData is what a tenant database is seeded with: its default company's
// name and its admin user.
type SeedData struct {
	Name       string
	AdminEmail string
	AdminName  string
}

// seedSQL writes the default company ($1) and the admin user ($2, $3): one
// statement, so one round trip and, on its own, one transaction. Unique keys
// on the company code and the user email make a second run change nothing.
const seedSQL = `
	WITH company AS (
		INSERT INTO companies (code, name, is_default) VALUES ('default', $1, true)
		ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
		RETURNING id)
	INSERT INTO users (company_id, email, name, role)
	SELECT id, $2, $3, 'admin' FROM company
	ON CONFLICT (lower(email)) DO NOTHING`

// Seed writes the default company and the admin user into a tenant database,
// connected as the tenant's own role, which proves its password too.
func (s *Servers) Seed(ctx context.Context, srv Server, name, password string, c SeedData) error {
	conn, err := s.connectAs(ctx, srv, name, password)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Sent unprepared: this connection runs nothing else.
	if _, err := conn.Exec(ctx, seedSQL, pgx.QueryExecModeExec, c.Name, c.AdminEmail, c.AdminName); err != nil {
		return fmt.Errorf("seed default company and admin user in %s: %w", name, err)
	}
	return nil
}

// connectAs is a connection to the tenant database name as its own role.
func (s *Servers) connectAs(ctx context.Context, srv Server, name, password string) (*pgx.Conn, error) {
	cfg, err := s.TenantConnConfig(ctx, srv, name, password)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to tenant database %s as its role: %w", name, err)
	}
	return conn, nil
}
