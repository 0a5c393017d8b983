// Package db is the platform database: sqlc-generated queries (db/queries), the
// pool, transactions and migrations.
package db

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/secrets"
)

// ErrNotFound is what every lookup returns when there is no such row.
var ErrNotFound = errors.New("not found")

// NotFound turns pgx.ErrNoRows into ErrNotFound and leaves other errors alone.
func NotFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// UniqueViolation reports whether err is a unique-constraint violation, and of which constraint.
func UniqueViolation(err error) (constraint string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}

// Open connects a pool to url and checks that the server answers.
// Unless the URL sets pool_max_conns, the pool holds up to 20 connections.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) { return open(ctx, url, nil) }

func open(ctx context.Context, url string, afterConnect func(context.Context, *pgx.Conn) error) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 20
	}
	cfg.AfterConnect = afterConnect
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach database %s: %w", redact(pool.Config().ConnConfig), err)
	}
	return pool, nil
}

func redact(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// OpenOperator is Open for the operator path (workers, sweeps, migrations' helpers):
// every session may see every tenant's rows under row-level security.
func OpenOperator(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return open(ctx, url, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SELECT set_config('app.scope', 'operator', false)")
		return err
	})
}

// InTenantScope runs fn in one transaction as the tenant path's role,
// landlord_tenant, which sees only tenantID's rows (row-level security) and
// no setting widens; role and setting end with the transaction, so a pooled
// connection carries nothing to its next user.
func InTenantScope(ctx context.Context, pool *pgxpool.Pool, tenantID uuid.UUID, fn func(q *Queries) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('role', 'landlord_tenant', true), set_config('app.tenant_id', $1, true)",
			tenantID.String()); err != nil {
			return fmt.Errorf("scope to tenant: %w", err)
		}
		return fn(New(tx))
	})
}

// InOperatorScope runs fn in one transaction on the operator path: it sees every tenant's rows.
func InOperatorScope(ctx context.Context, pool *pgxpool.Pool, fn func(q *Queries) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.scope', 'operator', true)"); err != nil {
			return fmt.Errorf("scope to operator: %w", err)
		}
		return fn(New(tx))
	})
}

// InTx runs fn in one transaction, committing when it returns nil.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(q *Queries) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return fn(New(tx))
	})
}

func isDuplicateDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P04"
}

// CheckRuntimeRole refuses to run as a role that row-level security or
// privileges would not hold back: a superuser, or one with BYPASSRLS.
func CheckRuntimeRole(ctx context.Context, pool *pgxpool.Pool) error {
	var name string
	var super, bypass bool
	err := pool.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&name, &super, &bypass)
	if err != nil {
		return fmt.Errorf("check the database role: %w", err)
	}
	if super || bypass {
		return fmt.Errorf("refusing to run as database role %q: it is a superuser or bypasses row-level security; "+
			"set DATABASE_URL to the landlord_app role (landlord migrate creates it) and MIGRATE_DATABASE_URL to the owner", name)
	}
	return nil
}

// SetRuntimePassword gives the landlord_app role the password in the runtime
// URL, as a SCRAM verifier; a URL without a password changes nothing.
func SetRuntimePassword(ctx context.Context, pool *pgxpool.Pool, runtimeURL string) error {
	cfg, err := pgx.ParseConfig(runtimeURL)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if cfg.Password == "" || cfg.User != "landlord_app" {
		return nil
	}
	verifier, err := secrets.SCRAMVerifier(cfg.Password)
	if err != nil {
		return err
	}
	// The server gets a SCRAM verifier (base64 and '$:' only), never the password.
	if _, err := pool.Exec(ctx, "ALTER ROLE landlord_app PASSWORD '"+verifier+"'"); err != nil {
		return fmt.Errorf("set landlord_app password: %w", err)
	}
	return nil
}
