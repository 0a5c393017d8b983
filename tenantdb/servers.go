package tenantdb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/fs"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/migrations"
)

// Server is a PostgreSQL server that holds tenant databases.
type Server struct {
	Host string
	Port int
}

// Servers hands out administrative connections to database servers. The admin
// URL gives the user, password and options; each server gives host and port,
// and, once a registry is set, its own login and TLS.
type Servers struct {
	admin    *pgx.ConnConfig
	template string
	registry func(ctx context.Context, srv Server) (Login, bool, error)

	mu         sync.Mutex
	pools      map[Server]*pgxpool.Pool
	logins     map[Server]Login
	migrations fs.FS // the tenant migrations; nil: migrations.Tenant
}

// UseMigrations makes the tenant migrations fsys (laid out as
// migrations.Tenant) instead of this release's: tests roll out a migration
// the release does not have.
func (s *Servers) UseMigrations(fsys fs.FS) { s.migrations = fsys }

// Migrations are the tenant migrations databases are brought up to.
func (s *Servers) Migrations() fs.FS {
	if s.migrations == nil {
		return migrations.Tenant
	}
	return s.migrations
}

// SchemaVersion is the tenant schema version a migrated database is at.
func (s *Servers) SchemaVersion() (int64, error) { return db.TenantSchemaVersion(s.Migrations()) }

// Login is how landlord logs in to a database server other than the admin URL's.
type Login struct {
	User, Password string
	// TLS verifies the server's certificate against Roots (the system's when
	// nil) and that it names the host, before any password is sent.
	TLS   bool
	Roots *x509.CertPool
}

// NewServers prepares admin connections from adminURL; template is the name of
// the template database every tenant database is cloned from.
func NewServers(adminURL, template string) (*Servers, error) {
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("parse tenant admin url: %w", err)
	}
	return &Servers{admin: cfg, template: template, pools: map[Server]*pgxpool.Pool{}, logins: map[Server]Login{}}, nil
}

// UseRegistry makes servers log in as they were registered: lookup returns a
// server's login, or false for one registered without its own (the admin
// URL's is used, as for the admin URL's own server). Logins are kept once read.
func (s *Servers) UseRegistry(lookup func(ctx context.Context, srv Server) (Login, bool, error)) {
	s.registry = lookup
}

// Template is the name of the template database.
func (s *Servers) Template() string { return s.template }

// Local is the server the admin URL itself points at.
func (s *Servers) Local() Server { return Server{Host: s.admin.Host, Port: int(s.admin.Port)} }

// ConnConfig is the admin connection to database on srv.
func (s *Servers) ConnConfig(ctx context.Context, srv Server, database string) (*pgx.ConnConfig, error) {
	c := s.admin.Copy()
	c.Host, c.Port, c.Database = srv.Host, uint16(srv.Port), database
	c.Fallbacks = nil
	if srv == s.Local() || s.registry == nil {
		return c, nil
	}
	s.mu.Lock()
	login, known := s.logins[srv]
	s.mu.Unlock()
	if !known {
		l, own, err := s.registry(ctx, srv)
		if err != nil {
			return nil, fmt.Errorf("look up the login of database server %s:%d: %w", srv.Host, srv.Port, err)
		}
		if !own {
			return c, nil
		}
		login = l
		s.mu.Lock()
		s.logins[srv] = login
		s.mu.Unlock()
	}
	return WithLogin(c, login), nil
}

// WithLogin is c logging in as login: its user and password (c's when it has
// none) and, with TLS, verify-full (no connection without a certificate that
// chains and names the host); without, c's own TLS settings.
func WithLogin(c *pgx.ConnConfig, login Login) *pgx.ConnConfig {
	c = c.Copy()
	if login.User != "" {
		c.User, c.Password = login.User, login.Password
	}
	if login.TLS {
		c.TLSConfig = &tls.Config{ServerName: c.Host, RootCAs: login.Roots, MinVersion: tls.VersionTLS12}
	}
	c.Fallbacks = nil
	return c
}

// TenantConnConfig is the connection of a tenant's own role to its own database.
func (s *Servers) TenantConnConfig(ctx context.Context, srv Server, name, password string) (*pgx.ConnConfig, error) {
	c, err := s.ConnConfig(ctx, srv, name)
	if err != nil {
		return nil, err
	}
	c.User, c.Password = name, password
	return c, nil
}

// Connect is an admin connection to database on srv.
func (s *Servers) Connect(ctx context.Context, srv Server, database string) (*pgx.Conn, error) {
	c, err := s.ConnConfig(ctx, srv, database)
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, c)
}

// Pool is the admin pool on srv's maintenance database, created on first use.
func (s *Servers) Pool(ctx context.Context, srv Server) (*pgxpool.Pool, error) {
	conn, err := s.ConnConfig(ctx, srv, "postgres")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pools[srv]; ok {
		return p, nil
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig = conn
	cfg.MaxConns = 8
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database server %s:%d: %w", srv.Host, srv.Port, err)
	}
	s.pools[srv] = p
	return p, nil
}

// Close closes every pool.
func (s *Servers) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.pools {
		p.Close()
		delete(s.pools, k)
	}
}
