package tenantdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// WarmName is the database and role name of a pooled database, before a
// tenant claims it: warm_<uuid without dashes>.
func WarmName(id uuid.UUID) string { return "warm_" + strings.ReplaceAll(id.String(), "-", "") }

// BuildWarm makes a pooled database under name: its login role with password,
// its owner role, and the database cloned from the template with the same
// privileges a tenant's own gets (CreateRole, CreateDatabase), so a claim has
// only to rename it. It then logs in once as the role: that proves the
// password, and the server builds the new database's relation cache file on a
// first connection, which a claim's seed would otherwise wait for. Running it
// twice leaves one.
func (s *Servers) BuildWarm(ctx context.Context, srv Server, name, password string) error {
	if err := s.CreateRole(ctx, srv, name, password); err != nil {
		return err
	}
	if err := s.CreateDatabase(ctx, srv, name); err != nil {
		return err
	}
	conn, err := s.connectAs(ctx, srv, name, password)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Claim renames the pooled database from and its two roles to the tenant's
// names, in one transaction: privileges follow the roles (they are held by
// oid), and SCRAM verifiers do not depend on the role's name, so the password
// stays. A database already renamed is left as it is, so a rerun converges.
func (s *Servers) Claim(ctx context.Context, srv Server, from, to string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	var renamed, pooled bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1),
	                                     EXISTS (SELECT FROM pg_database WHERE datname = $2)`, to, from).Scan(&renamed, &pooled); err != nil {
		return fmt.Errorf("look up pooled database %s: %w", from, err)
	}
	switch {
	case renamed:
		return nil
	case !pooled:
		return fmt.Errorf("pooled database %s is gone", from)
	}
	// Without arguments pgx sends the three statements as one simple query: one transaction, one round trip.
	_, err = pool.Exec(ctx, "ALTER DATABASE "+ident(from)+" RENAME TO "+ident(to)+";"+
		"ALTER ROLE "+ident(from)+" RENAME TO "+ident(to)+";"+
		"ALTER ROLE "+ident(OwnerName(from))+" RENAME TO "+ident(OwnerName(to)))
	if err != nil {
		return fmt.Errorf("rename pooled database %s to %s: %w", from, to, err)
	}
	return nil
}

// Drop removes the database name and its roles; absent ones are fine.
func (s *Servers) Drop(ctx context.Context, srv Server, name string) error {
	if err := s.DropDatabase(ctx, srv, name); err != nil {
		return err
	}
	return s.DropRole(ctx, srv, name)
}
