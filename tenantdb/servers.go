package tenantdb

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Server is a PostgreSQL server that holds tenant databases.
type Server struct {
	Host string
	Port int
}

// Servers hands out administrative connections to database servers. The admin
// URL gives the user, password and options; each server gives host and port.
type Servers struct {
	admin    *pgx.ConnConfig
	template string

	mu    sync.Mutex
	pools map[Server]*pgxpool.Pool
}

// NewServers prepares admin connections from adminURL; template is the name of
// the template database every tenant database is cloned from.
func NewServers(adminURL, template string) (*Servers, error) {
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("parse tenant admin url: %w", err)
	}
	return &Servers{admin: cfg, template: template, pools: map[Server]*pgxpool.Pool{}}, nil
}

// Template is the name of the template database.
func (s *Servers) Template() string { return s.template }

// Local is the server the admin URL itself points at.
func (s *Servers) Local() Server { return Server{Host: s.admin.Host, Port: int(s.admin.Port)} }

// ConnConfig is the admin connection to database on srv.
func (s *Servers) ConnConfig(srv Server, database string) *pgx.ConnConfig {
	c := s.admin.Copy()
	c.Host, c.Port, c.Database = srv.Host, uint16(srv.Port), database
	c.Fallbacks = nil
	return c
}

// TenantConnConfig is the connection of a tenant's own role to its own database.
func (s *Servers) TenantConnConfig(srv Server, name, password string) *pgx.ConnConfig {
	c := s.ConnConfig(srv, name)
	c.User, c.Password = name, password
	return c
}

// Pool is the admin pool on srv's maintenance database, created on first use.
func (s *Servers) Pool(ctx context.Context, srv Server) (*pgxpool.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pools[srv]; ok {
		return p, nil
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig = s.ConnConfig(srv, "postgres")
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
