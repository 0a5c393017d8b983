package tenantdb

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pools caches one small pool per tenant, connected as the tenant's own role to
// its own database. The cache holds at most maxConns connections in all: when
// it is full the least recently used tenant's pool is closed, and pools idle
// longer than idle are closed by a janitor. 1,000 tenants are not 1,000 pools.
type Pools struct {
	servers   *Servers
	perTenant int32
	maxPools  int
	idle      time.Duration

	mu    sync.Mutex
	pools map[uuid.UUID]*tenantPool
	stop  chan struct{}
}

type tenantPool struct {
	pool *pgxpool.Pool
	srv  Server
	used time.Time
}

// NewPools returns a cache bounded to maxConns connections, perTenant for each tenant.
func NewPools(servers *Servers, maxConns, perTenant int, idle time.Duration) *Pools {
	perTenant = max(perTenant, 1)
	p := &Pools{servers: servers, perTenant: int32(perTenant), maxPools: max(maxConns/perTenant, 1), idle: idle,
		pools: map[uuid.UUID]*tenantPool{}, stop: make(chan struct{})}
	go p.janitor()
	return p
}

// Get is the pool of a tenant, created on first use; password is asked for only then.
func (p *Pools) Get(ctx context.Context, tenantID uuid.UUID, srv Server, password func() (string, error)) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if tp, ok := p.pools[tenantID]; ok {
		if tp.srv == srv {
			tp.used = time.Now()
			return tp.pool, nil
		}
		// The tenant moved to another server: its old pool goes.
		delete(p.pools, tenantID)
		go tp.pool.Close()
	}
	pw, err := password()
	if err != nil {
		return nil, err
	}
	for len(p.pools) >= p.maxPools {
		p.evictOldest()
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	if cfg.ConnConfig, err = p.servers.TenantConnConfig(ctx, srv, Name(tenantID), pw); err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = p.perTenant, 0
	cfg.MaxConnIdleTime = p.idle
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pool for tenant %s: %w", tenantID, err)
	}
	p.pools[tenantID] = &tenantPool{pool: pool, srv: srv, used: time.Now()}
	return pool, nil
}

// Forget closes a tenant's pool, e.g. when its database is closed or dropped.
func (p *Pools) Forget(tenantID uuid.UUID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if tp, ok := p.pools[tenantID]; ok {
		delete(p.pools, tenantID)
		go tp.pool.Close()
	}
}

// Open is how many tenant pools are open.
func (p *Pools) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pools)
}

// MaxConns is the bound on connections held by all tenant pools together.
func (p *Pools) MaxConns() int { return p.maxPools * int(p.perTenant) }

func (p *Pools) evictOldest() {
	var oldest uuid.UUID
	var at time.Time
	for id, tp := range p.pools {
		if at.IsZero() || tp.used.Before(at) {
			oldest, at = id, tp.used
		}
	}
	tp := p.pools[oldest]
	delete(p.pools, oldest)
	go tp.pool.Close() // waits for connections in use to come back
}

func (p *Pools) janitor() {
	t := time.NewTicker(max(p.idle/2, time.Second))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			for id, tp := range p.pools {
				if now.Sub(tp.used) > p.idle {
					delete(p.pools, id)
					go tp.pool.Close()
				}
			}
			p.mu.Unlock()
		}
	}
}

// Close closes every pool and stops the janitor.
func (p *Pools) Close() {
	close(p.stop)
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, tp := range p.pools {
		delete(p.pools, id)
		tp.pool.Close()
	}
}

// Servers are the database servers the pools connect to.
func (p *Pools) Servers() *Servers { return p.servers }

// Conns are the connections the open pools hold: in use, and idle.
func (p *Pools) Conns() (inUse, idle int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tp := range p.pools {
		s := tp.pool.Stat()
		inUse += s.AcquiredConns()
		idle += s.IdleConns()
	}
	return inUse, idle
}
