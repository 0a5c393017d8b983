package tenantdb

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Seed writes the default company and the admin user into a tenant database,
// connected as the tenant's own role. Unique keys on the company code and the
// user email make a second run change nothing.
func (s *Servers) Seed(ctx context.Context, srv Server, name, password, companyName, adminEmail, adminName string) error {
	cfg, err := s.TenantConnConfig(ctx, srv, name, password)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to tenant database %s as its role: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// One statement, so one round trip and one implicit transaction; sent
	// unprepared, as this connection runs nothing else.
	_, err = conn.Exec(ctx, `
		WITH company AS (
			INSERT INTO companies (code, name, is_default) VALUES ('default', $1, true)
			ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
			RETURNING id)
		INSERT INTO users (company_id, email, name, role)
		SELECT id, $2, $3, 'admin' FROM company
		ON CONFLICT (lower(email)) DO NOTHING`, pgx.QueryExecModeExec, companyName, adminEmail, adminName)
	if err != nil {
		return fmt.Errorf("seed default company and admin user in %s: %w", name, err)
	}
	return nil
}
