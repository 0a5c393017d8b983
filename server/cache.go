package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
)

// freshFor is how long an API process reuses what it read of a bearer token
// (its role, tenant, tenant status and rate limit) and of a tenant (its
// limits and placement) before reading them again. A suspension, revocation
// or plan change made elsewhere (a workflow, another API process) takes effect
// here within it; made through this process, at once (forgetChanges).
const freshFor = time.Second

// cacheSize bounds each cache; past it the oldest half is dropped.
const cacheSize = 10000

// ttlCache is a small map whose entries are good for freshFor.
type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]cached[V]
}

type cached[V any] struct {
	v       V
	expires time.Time
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[K]cached[V]{}
	}
	if len(c.m) >= cacheSize {
		now := time.Now()
		for k, e := range c.m {
			if now.After(e.expires) || len(c.m) >= cacheSize/2 {
				delete(c.m, k)
			}
		}
	}
	c.m[k] = cached[V]{v: v, expires: time.Now().Add(freshFor)}
}

func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// hotCaches are what the tenant API's requests read on every call.
type hotCaches struct {
	tokens  ttlCache[string, db.APITokenAuthenticateRow] // by token hash
	tenants ttlCache[uuid.UUID, db.TenantConnInfoRow]
}

// erpWrites are the tenant API's own writes: they change nothing the caches hold.
var erpWrites = map[string]bool{"/v1/transactions": true, "/v1/companies": true, "/v1/companies/:id": true,
	"/v1/companies/:id/users": true, "/v1/users/:id": true}

// forgetChanges empties the caches after any request that may have changed a
// token, a tenant's status or its limits (every write but the ERP's own), so
// this process never serves what it has itself just changed.
func (s *Server) forgetChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		switch m := c.Request().Method; {
		case m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions:
		case erpWrites[c.Path()]:
		default:
			s.hot.tokens.clear()
			s.hot.tenants.clear()
		}
		return err
	}
}
