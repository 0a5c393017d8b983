package tenantdb

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/poolcache"
)

// Pools caches one small pool per tenant, connected as the tenant's own role
// to its own database, at most maxConns connections in all (a
// poolcache.Cache).
type Pools struct {
	*poolcache.Cache
	servers *Servers
}

// NewPools returns a cache bounded to maxConns connections, perTenant for each tenant.
func NewPools(servers *Servers, maxConns, perTenant int, idle time.Duration) *Pools {
	return &Pools{Cache: poolcache.New(maxConns, perTenant, idle), servers: servers}
}

// Get is the pool of a tenant, created on first use; password is asked for
// only then. A tenant that moved to another server gets a new pool.
func (p *Pools) Get(ctx context.Context, tenantID uuid.UUID, srv Server, password func() (string, error)) (*pgxpool.Pool, error) {
	return p.Cache.Get(ctx, tenantID.String(), fmt.Sprintf("%s:%d", srv.Host, srv.Port), func() (*pgx.ConnConfig, error) {
		pw, err := password()
		if err != nil {
			return nil, err
		}
		return p.servers.TenantConnConfig(ctx, srv, Name(tenantID), pw)
	})
}

// Forget closes a tenant's pool, e.g. when its database is closed or dropped.
func (p *Pools) Forget(tenantID uuid.UUID) { p.Cache.Forget(tenantID.String()) }

// Servers are the database servers the pools connect to.
func (p *Pools) Servers() *Servers { return p.servers }
