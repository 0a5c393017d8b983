// Package poolcache keeps one small pgx pool per key (a tenant) under a
// bound on all their connections together: when the bound is reached the
// least recently used pool is closed, and pools idle longer than a while are
// closed by a janitor. 1,000 tenants are not 1,000 pools. landlord's tenant
// API and the tenancy kit of the ERP's services both hold their tenant
// pools in one.
package poolcache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Cache is the bounded set of pools.
type Cache struct {
	perKey   int32
	maxPools int
	idle     time.Duration

	mu    sync.Mutex
	pools map[string]*entry
	stop  chan struct{}
	once  sync.Once
}

type entry struct {
	pool  *pgxpool.Pool
	ident string // what the pool connects to, as its caller names it: another ident is another pool
	used  time.Time
}

// New returns a cache bounded to maxConns connections, perKey for each key,
// whose pools close after idle unused.
func New(maxConns, perKey int, idle time.Duration) *Cache {
	perKey = max(perKey, 1)
	c := &Cache{perKey: int32(perKey), maxPools: max(maxConns/perKey, 1), idle: idle,
		pools: map[string]*entry{}, stop: make(chan struct{})}
	go c.janitor()
	return c
}

// Get is the pool of key, made on first use with the connection config
// connect returns (asked for only then). A pool made for another ident (the
// tenant moved, its login changed) is closed and made again.
func (c *Cache) Get(ctx context.Context, key, ident string, connect func() (*pgx.ConnConfig, error)) (*pgxpool.Pool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.pools[key]; ok {
		if e.ident == ident {
			e.used = time.Now()
			return e.pool, nil
		}
		delete(c.pools, key)
		go e.pool.Close()
	}
	conn, err := connect()
	if err != nil {
		return nil, err
	}
	for len(c.pools) >= c.maxPools {
		c.evictOldest()
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig = conn
	cfg.MaxConns, cfg.MinConns = c.perKey, 0
	cfg.MaxConnIdleTime = c.idle
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pool for %s: %w", key, err)
	}
	c.pools[key] = &entry{pool: pool, ident: ident, used: time.Now()}
	return pool, nil
}

// Forget closes key's pool (its connections in use finish first).
func (c *Cache) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.pools[key]; ok {
		delete(c.pools, key)
		go e.pool.Close()
	}
}

// Has says whether key has an open pool.
func (c *Cache) Has(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pools[key]
	return ok
}

// Open is how many pools are open.
func (c *Cache) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pools)
}

// MaxConns is the bound on connections held by all pools together.
func (c *Cache) MaxConns() int { return c.maxPools * int(c.perKey) }

// Conns are the connections the open pools hold: in use, and idle.
func (c *Cache) Conns() (inUse, idle int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.pools {
		s := e.pool.Stat()
		inUse += s.AcquiredConns()
		idle += s.IdleConns()
	}
	return inUse, idle
}

// Close closes every pool and stops the janitor.
func (c *Cache) Close() {
	c.once.Do(func() { close(c.stop) })
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, e := range c.pools {
		delete(c.pools, key)
		e.pool.Close()
	}
}

func (c *Cache) evictOldest() {
	var oldest string
	var at time.Time
	for key, e := range c.pools {
		if at.IsZero() || e.used.Before(at) {
			oldest, at = key, e.used
		}
	}
	e := c.pools[oldest]
	delete(c.pools, oldest)
	go e.pool.Close() // waits for connections in use to come back
}

func (c *Cache) janitor() {
	t := time.NewTicker(max(c.idle/2, time.Second))
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.mu.Lock()
			for key, e := range c.pools {
				if now.Sub(e.used) > c.idle {
					delete(c.pools, key)
					go e.pool.Close()
				}
			}
			c.mu.Unlock()
		}
	}
}
