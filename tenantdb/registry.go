package tenantdb

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/secrets"
)

// Registry looks servers' logins up in the platform database, opening their
// passwords with box; TLS certificates must chain to roots (nil: the system's).
func Registry(pool *pgxpool.Pool, box *secrets.Box, roots *x509.CertPool) func(context.Context, Server) (Login, bool, error) {
	return func(ctx context.Context, srv Server) (Login, bool, error) {
		row, err := db.New(pool).DatabaseServerLogin(ctx, db.DatabaseServerLoginParams{Host: srv.Host, Port: int32(srv.Port)})
		if errors.Is(err, pgx.ErrNoRows) {
			return Login{}, false, nil
		}
		if err != nil {
			return Login{}, false, err
		}
		login := Login{TLS: row.Tls == "verify-full", Roots: roots}
		if row.AdminUser == nil {
			return login, true, nil // the admin URL's user and password, over TLS when asked
		}
		pw, err := box.Open(row.AdminPasswordEnc)
		if err != nil {
			return Login{}, false, fmt.Errorf("open the password of %s:%d: %w", srv.Host, srv.Port, err)
		}
		login.User, login.Password = *row.AdminUser, string(pw)
		return login, true, nil
	}
}

// LoadRoots reads the PEM certificates that database servers' TLS
// certificates must chain to; an empty path is the system's roots (nil).
func LoadRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read TENANT_DB_CA_FILE: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TENANT_DB_CA_FILE %s holds no PEM certificate", path)
	}
	return roots, nil
}

// Loopback says whether host is this machine (a loopback address or
// "localhost"): the only place a server may be reached without TLS or with
// the admin URL's own login.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check logs in to srv as login (the admin URL's user and password when
// login.User is empty) and says why landlord cannot keep tenants there, if
// it cannot: no PostgreSQL 13 or newer answering, or a login that may not
// create databases and roles.
func (s *Servers) Check(ctx context.Context, srv Server, login Login) error {
	cfg := s.admin.Copy()
	cfg.Host, cfg.Port, cfg.Database = srv.Host, uint16(srv.Port), "postgres"
	cfg = WithLogin(cfg, login)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var version int
	var mayCreate bool
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int,
		rolsuper OR (rolcreatedb AND rolcreaterole) FROM pg_roles WHERE rolname = current_user`).Scan(&version, &mayCreate)
	if err != nil {
		return fmt.Errorf("ask the server what it is: %w", err)
	}
	if version < 130000 {
		return fmt.Errorf("PostgreSQL %d.%d is too old: 13 or newer is needed", version/10000, version%10000)
	}
	if !mayCreate {
		return fmt.Errorf("the login %q may not create databases and roles", cfg.User)
	}
	return nil
}

// Open is NewServers logging in to registered servers as the platform
// database (pool) records them: their passwords opened with box, their
// certificates checked against caFile's roots (the system's when empty),
// which it returns too, for checking a server being registered.
func Open(adminURL, template string, pool *pgxpool.Pool, box *secrets.Box, caFile string) (*Servers, *x509.CertPool, error) {
	roots, err := LoadRoots(caFile)
	if err != nil {
		return nil, nil, err
	}
	servers, err := NewServers(adminURL, template)
	if err != nil {
		return nil, nil, err
	}
	servers.UseRegistry(Registry(pool, box, roots))
	return servers, roots, nil
}
