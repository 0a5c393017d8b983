package tenantdb

import (
	"context"
	"fmt"
)

// Block shuts a tenant out of its database: its role loses CONNECT, the
// database stops taking connections, and every open session in it ends.
// Running it again changes nothing more.
func (s *Servers) Block(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	for _, stmt := range []string{
		"REVOKE CONNECT ON DATABASE " + ident(name) + " FROM " + ident(name),
		"ALTER DATABASE " + ident(name) + " ALLOW_CONNECTIONS false",
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("block tenant database %s: %w", name, err)
		}
	}
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		return fmt.Errorf("end sessions in %s: %w", name, err)
	}
	return nil
}

// Unblock lets a tenant back into its database; running it again changes nothing more.
func (s *Servers) Unblock(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	for _, stmt := range []string{
		"ALTER DATABASE " + ident(name) + " ALLOW_CONNECTIONS true",
		"GRANT CONNECT, TEMPORARY ON DATABASE " + ident(name) + " TO " + ident(name),
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("unblock tenant database %s: %w", name, err)
		}
	}
	return nil
}

// ShutOut ends the tenant's own use of its database and leaves it open to
// landlord: its role loses CONNECT and its sessions end, landlord's (a copy, a
// replication) go on.
func (s *Servers) ShutOut(ctx context.Context, srv Server, name string) error {
	if err := s.OpenToLandlord(ctx, srv, name); err != nil {
		return err
	}
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "REVOKE CONNECT ON DATABASE "+ident(name)+" FROM "+ident(name)); err != nil {
		return fmt.Errorf("shut %s out: %w", name, err)
	}
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = $1`, name); err != nil {
		return fmt.Errorf("end %s's sessions: %w", name, err)
	}
	return nil
}

// OpenToLandlord lets connections into a closed tenant database while its
// role stays without CONNECT: landlord may reach it (to migrate or back it
// up), the tenant may not. Block closes it again.
func (s *Servers) OpenToLandlord(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "ALTER DATABASE "+ident(name)+" ALLOW_CONNECTIONS true"); err != nil {
		return fmt.Errorf("open %s to landlord: %w", name, err)
	}
	return nil
}

// Sessions counts the open sessions in a tenant database.
func (s *Servers) Sessions(ctx context.Context, srv Server, name string) (int, error) {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return 0, err
	}
	var n int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name).Scan(&n)
	return n, err
}
