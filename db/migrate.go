package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/landlordhq/landlord/migrations"
)

// EnsureDatabase creates the database named in url when it does not exist yet,
// connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if _, dup := UniqueViolation(err); dup || isDuplicateDatabase(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Migrator applies migrations from an embedded folder to one database.
type Migrator struct {
	provider *goose.Provider
	sqlDB    *sql.DB
}

// NewPlatformMigrator returns the migrator of the platform database at url.
func NewPlatformMigrator(url string, log *slog.Logger) (*Migrator, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	return newMigrator(cfg, migrations.Platform, "platform", "goose_db_version", log)
}

// NewTenantMigrator returns the migrator of a tenant database (or the template).
func NewTenantMigrator(cfg *pgx.ConnConfig, log *slog.Logger) (*Migrator, error) {
	return newMigrator(cfg, migrations.Tenant, "tenant", "schema_migrations", log)
}

func newMigrator(cfg *pgx.ConnConfig, fsys fs.FS, dir, table string, log *slog.Logger) (*Migrator, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	sqlDB := stdlib.OpenDB(*cfg)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithTableName(table), goose.WithSessionLocker(locker)}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub, opts...)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("load %s migrations: %w", dir, err)
	}
	return &Migrator{provider: p, sqlDB: sqlDB}, nil
}

// MigratePlatform applies every pending platform migration to the database at url.
func MigratePlatform(ctx context.Context, url string, log *slog.Logger) error {
	m, err := NewPlatformMigrator(url, log)
	if err != nil {
		return err
	}
	return m.upAndClose(ctx)
}

// MigrateTenant applies every pending tenant migration to the database of cfg.
func MigrateTenant(ctx context.Context, cfg *pgx.ConnConfig) error {
	_, _, err := MigrateTenantWith(ctx, cfg, migrations.Tenant)
	return err
}

// MigrateTenantWith applies every pending migration of fsys (laid out as
// migrations.Tenant: under tenant/) to the database of cfg and says which
// version it found and which it left. Each migration runs in its own
// transaction: one that fails leaves the database at the version before it.
func MigrateTenantWith(ctx context.Context, cfg *pgx.ConnConfig, fsys fs.FS) (from, to int64, err error) {
	m, err := newMigrator(cfg, fsys, "tenant", "schema_migrations", nil)
	if err != nil {
		return 0, 0, err
	}
	defer func() { err = errors.Join(err, m.Close()) }()
	if from, err = m.Version(ctx); err != nil {
		return 0, 0, err
	}
	upErr := m.Up(ctx)
	to, err = m.Version(ctx)
	return from, to, errors.Join(upErr, err)
}

// TenantSchemaVersion is the newest migration in fsys (laid out as
// migrations.Tenant): the version a tenant database is at once migrated.
func TenantSchemaVersion(fsys fs.FS) (int64, error) {
	entries, err := fs.ReadDir(fsys, "tenant")
	if err != nil {
		return 0, err
	}
	var newest int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err == nil && v > newest {
			newest = v
		}
	}
	if newest == 0 {
		return 0, errors.New("no tenant migrations")
	}
	return newest, nil
}

func (m *Migrator) upAndClose(ctx context.Context) error {
	err := m.Up(ctx)
	return errors.Join(err, m.Close())
}

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context) error {
	_, err := m.provider.Up(ctx)
	return err
}

// DownAll rolls every migration back.
func (m *Migrator) DownAll(ctx context.Context) error {
	_, err := m.provider.DownTo(ctx, 0)
	return err
}

// Version is the newest applied migration.
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	return m.provider.GetDBVersion(ctx)
}

// Close releases the connection.
func (m *Migrator) Close() error {
	return m.provider.Close()
}
