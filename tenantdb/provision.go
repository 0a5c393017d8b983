package tenantdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/secrets"
)

// CreateRole creates the login role name with password, or resets the password
// of the role when it exists already, so running it twice leaves one role that
// accepts password. It makes the tenant's owner role (see CreateDatabase) in
// the same transaction. A role's commit is dear (it changes a shared
// catalog), so a first run makes both in one statement list: one round trip,
// one commit; a rerun, finding either made, converges through a DO block.
func (s *Servers) CreateRole(ctx context.Context, srv Server, name, password string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	verifier, err := secrets.SCRAMVerifier(password)
	if err != nil {
		return err
	}
	opts := " LOGIN NOINHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT 50 PASSWORD " + literal(verifier)
	owner := OwnerName(name)
	_, err = pool.Exec(ctx, "CREATE ROLE "+ident(owner)+" NOLOGIN NOINHERIT; CREATE ROLE "+ident(name)+opts)
	if pgCode(err) == "42710" { // duplicate_object: an earlier attempt made one or both
		// A concurrent attempt can still make a role between a check and its
		// CREATE: that attempt fails (duplicate_object) and its retry converges.
		_, err = pool.Exec(ctx, "DO $landlord$BEGIN "+
			"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "+literal(owner)+") THEN "+
			"CREATE ROLE "+ident(owner)+" NOLOGIN NOINHERIT; END IF; "+
			"IF EXISTS (SELECT FROM pg_roles WHERE rolname = "+literal(name)+") THEN "+
			"ALTER ROLE "+ident(name)+opts+"; ELSE CREATE ROLE "+ident(name)+opts+"; END IF; "+
			"END$landlord$")
	}
	if err != nil {
		return fmt.Errorf("create role %s: %w", name, err)
	}
	return nil
}

// OwnerName is the role that owns a tenant's database and its schema: it
// cannot log in, so the tenant's own role can neither reopen its closed
// database nor change its schema or its metering.
func OwnerName(name string) string { return name + "_owner" }

// CreateDatabase clones the template into database name owned by the tenant's
// owner role (made here, NOLOGIN), unless it exists already and is owned by
// that role (or, made before owner roles, by the tenant's login role, which
// it then hands over). PUBLIC loses every privilege on it right after
// creation, and the login role gets data (not schema) privileges.
func (s *Servers) CreateDatabase(ctx context.Context, srv Server, name string) error {
	return s.createDatabase(ctx, srv, name, nil, nil)
}

// CreateSeeded is CreateDatabase followed by Seed, on one admin connection
// and in one round trip after the CREATE: the seed runs as the tenant's role
// (SET LOCAL ROLE), so it goes through the privileges the tenant's own
// sessions have, without a second connection to log the role in. created,
// when given, runs between the two (fault injection for crash tests).
func (s *Servers) CreateSeeded(ctx context.Context, srv Server, name string, c SeedData, created func(context.Context) error) error {
	return s.createDatabase(ctx, srv, name, &c, created)
}

func (s *Servers) createDatabase(ctx context.Context, srv Server, name string, seed *SeedData, created func(context.Context) error) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	owner := OwnerName(name)
	var current *string
	var ownerExists bool
	err = pool.QueryRow(ctx, `SELECT (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1),
	                                 EXISTS (SELECT FROM pg_roles WHERE rolname = $2)`, name, owner).Scan(&current, &ownerExists)
	if err != nil {
		return fmt.Errorf("look up tenant database %s: %w", name, err)
	}
	if !ownerExists {
		if err := ensureOwner(ctx, pool, name); err != nil {
			return err
		}
	}
	switch {
	case current == nil:
		_, err = pool.Exec(ctx, "CREATE DATABASE "+ident(name)+" OWNER "+ident(owner)+" TEMPLATE "+ident(s.template))
		if err != nil && pgCode(err) != "42P04" { // duplicate_database: a concurrent attempt won
			return fmt.Errorf("create tenant database %s: %w", name, err)
		}
	case *current == name:
		if err := s.handOver(ctx, srv, name); err != nil {
			return err
		}
	case *current != owner:
		return fmt.Errorf("tenant database %s exists but belongs to %s", name, *current)
	}
	// Without arguments pgx sends both as one simple query: one round trip, one commit.
	if _, err := pool.Exec(ctx, "REVOKE ALL ON DATABASE "+ident(name)+" FROM PUBLIC; "+
		"GRANT CONNECT, TEMPORARY ON DATABASE "+ident(name)+" TO "+ident(name)); err != nil {
		return fmt.Errorf("give %s its database alone: %w", name, err)
	}
	if created != nil {
		if err := created(ctx); err != nil {
			return err
		}
	}
	return s.grantData(ctx, srv, name, seed)
}

// ensureOwner makes the tenant's owner role unless an earlier attempt did.
func ensureOwner(ctx context.Context, pool *pgxpool.Pool, name string) error {
	_, err := pool.Exec(ctx, "CREATE ROLE "+ident(OwnerName(name))+" NOLOGIN NOINHERIT")
	if err != nil && pgCode(err) != "42710" { // duplicate_object: made already
		return fmt.Errorf("create owner role of %s: %w", name, err)
	}
	return nil
}

// handOver gives a database owned by the tenant's login role (made before
// owner roles) to its owner role, with its public schema and any object the
// login role owned there.
func (s *Servers) handOver(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	owner := OwnerName(name)
	if err := ensureOwner(ctx, pool, name); err != nil {
		return err
	}
	// The login role keeps CONNECT only if it had it: a closed database stays closed.
	var open bool
	if err := pool.QueryRow(ctx, `SELECT has_database_privilege($1::name, $1::text, 'CONNECT')`, name).Scan(&open); err != nil {
		return fmt.Errorf("read access to %s: %w", name, err)
	}
	if _, err := pool.Exec(ctx, "ALTER DATABASE "+ident(name)+" OWNER TO "+ident(owner)); err != nil {
		return fmt.Errorf("hand %s over to its owner role: %w", name, err)
	}
	if open {
		if _, err := pool.Exec(ctx, "GRANT CONNECT, TEMPORARY ON DATABASE "+ident(name)+" TO "+ident(name)); err != nil {
			return fmt.Errorf("let %s connect: %w", name, err)
		}
	}
	conn, err := s.Connect(ctx, srv, name)
	if err != nil {
		return fmt.Errorf("connect to tenant database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "REASSIGN OWNED BY "+ident(name)+" TO "+ident(owner)); err != nil {
		return fmt.Errorf("hand over what %s owned: %w", name, err)
	}
	return nil
}

// grantData gives the tenant role the data privileges it needs inside its
// database and, given a company, seeds it as that role: one transaction, sent
// as one batch.
func (s *Servers) grantData(ctx context.Context, srv Server, name string, seed *SeedData) error {
	conn, err := s.Connect(ctx, srv, name)
	if err != nil {
		return fmt.Errorf("connect to tenant database %s: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	role := ident(name)
	b := &pgx.Batch{}
	for _, stmt := range []string{
		"BEGIN",
		"REVOKE ALL ON SCHEMA public FROM PUBLIC",
		"GRANT USAGE ON SCHEMA public TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role,
		// Metering is written only through take_transaction.
		"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON usage_counters FROM " + role,
		"GRANT EXECUTE ON FUNCTION take_transaction(date, bigint) TO " + role,
	} {
		b.Queue(stmt)
	}
	if seed != nil {
		b.Queue("SET LOCAL ROLE " + role)
		b.Queue(seedSQL, seed.Name, seed.AdminEmail, seed.AdminName)
	}
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		if seed != nil {
			return fmt.Errorf("grant data privileges in %s and seed it: %w", name, err)
		}
		return fmt.Errorf("grant data privileges in %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops database name, ending its sessions; absent is fine.
func (s *Servers) DropDatabase(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop tenant database %s: %w", name, err)
	}
	return nil
}

// DropRole drops the tenant's login role and its owner role; absent is fine.
func (s *Servers) DropRole(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	for _, role := range []string{name, OwnerName(name)} {
		if _, err := pool.Exec(ctx, "DROP ROLE IF EXISTS "+ident(role)); err != nil {
			return fmt.Errorf("drop tenant role %s: %w", role, err)
		}
	}
	return nil
}

// Exists reports whether database and role name exist on srv.
func (s *Servers) Exists(ctx context.Context, srv Server, name string) (database, role bool, err error) {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return false, false, err
	}
	err = pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1),
	                                 EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, name).Scan(&database, &role)
	return database, role, err
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// MigrateForward applies the tenant migrations a database created from an
// older template lacks, then grants the tenant's role the data privileges on
// whatever they added. A database that is up to date changes nothing.
func (s *Servers) MigrateForward(ctx context.Context, srv Server, name string) error {
	_, _, err := s.Migrate(ctx, srv, name)
	return err
}

// Migrate is MigrateForward saying which schema version it found and which
// it left; a migration that fails leaves the database at the version before it.
func (s *Servers) Migrate(ctx context.Context, srv Server, name string) (from, to int64, err error) {
	cfg, err := s.ConnConfig(ctx, srv, name)
	if err != nil {
		return 0, 0, err
	}
	if from, to, err = db.MigrateTenantWith(ctx, cfg, s.Migrations()); err != nil {
		return from, to, fmt.Errorf("migrate tenant database %s: %w", name, err)
	}
	return from, to, s.grantAfterMigrating(ctx, srv, name)
}

// grantAfterMigrating hands a database made before owner roles over, and
// grants the tenant's role the data privileges on what migrations added.
func (s *Servers) grantAfterMigrating(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	var current string
	if err := pool.QueryRow(ctx, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1`, name).Scan(&current); err != nil {
		return fmt.Errorf("look up tenant database %s: %w", name, err)
	}
	if current == name { // made before owner roles
		if err := s.handOver(ctx, srv, name); err != nil {
			return err
		}
	}
	return s.grantData(ctx, srv, name, nil)
}
