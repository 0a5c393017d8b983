// Package tenancy is the kit an ERP's Go services use to serve many tenants
// from landlord. A Resolver tells which tenant a request is for from its
// Host, with the tenant's status, plan limits and database login, asking
// landlord (GET /v1/resolve, with a service token) once per tenant however
// many requests wait for it, and remembering unknown hosts briefly so a flood
// of them cannot stampede landlord. Run follows landlord's change feed (GET
// /v1/resolve/changes): a suspension reaches the Resolver as it commits, and
// its requests are refused from then on. When landlord cannot be reached,
// known tenants are served for at most MaxStale after the feed last spoke;
// then each tenant is checked with landlord again, or refused.
//
// Middleware (net/http) and Echo (labstack/echo) put the tenant in the
// request's context (FromContext) and answer what may not be served with a
// plain page: 404 for a host that is no tenant's, 403 for a tenant that may
// not be served (suspended, cancelled), 503 when landlord cannot say.
//
// RequireUser (net/http) and EchoUser, after them, admit only requests with a
// valid access token of the request's own tenant and put its user in the
// context (UserFromContext): tokens are verified here with the keys landlord
// publishes (GET /.well-known/jwks.json), so a request costs landlord
// nothing; a token of another tenant is 403, and a suspended tenant's users
// are refused whatever their tokens say, as soon as the feed tells.
package tenancy

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/landlordhq/landlord/poolcache"
	"github.com/landlordhq/landlord/ratelimit"
)

// Config is how a Resolver reaches landlord and how long it trusts what it knows.
type Config struct {
	Landlord     string       // landlord's API, e.g. https://landlord.internal
	ServiceToken string       // landlord token create --role service
	HTTPClient   *http.Client // nil: http.DefaultClient
	// MaxStale is how long known tenants are served after landlord's change
	// feed last spoke (it sends a heartbeat a second); later, each is checked
	// with landlord again before it is served. Default 30 s.
	MaxStale time.Duration
	// NotFoundTTL is how long a host landlord does not know stays unknown
	// without asking again. Default 5 s.
	NotFoundTTL time.Duration
	Log         *slog.Logger // nil: slog.Default()
	// Pool bounds the tenant database pools (see Resolver.Pool): at most
	// MaxConns connections in all (default 100), ConnsPerTenant each (default
	// 4), a pool unused for IdleAfter closed (default 5 minutes).
	Pool PoolConfig
	// DatabaseTLS is how tenant databases are reached; nil: without TLS
	// (only for a server on this machine or a private network).
	DatabaseTLS *tls.Config
	// Limiter counts each request the middleware admits against the
	// tenant's API calls an hour, in the bound landlord's own API counts
	// against: SharedLimiter(the REDIS_URL landlord uses). nil: not counted.
	Limiter ratelimit.Limiter
}

// SharedLimiter is the limiter landlord's API counts tenants' calls in
// (Redis at url, under landlord's keys), for Config.Limiter.
func SharedLimiter(url string) (*ratelimit.Redis, error) {
	return ratelimit.NewRedis(url, ratelimit.SharedPrefix)
}

// PoolConfig bounds the pools a Resolver keeps on tenant databases.
type PoolConfig struct {
	MaxConns       int
	ConnsPerTenant int
	IdleAfter      time.Duration
}

// Tenant is what landlord says of the tenant a request is for.
type Tenant struct {
	ID        string    `json:"tenant_id"`
	Code      string    `json:"tenant_code"`
	Subdomain string    `json:"subdomain"`
	Status    string    `json:"status"`
	Serving   bool      `json:"serving"` // trial, active or past due: its users may be served
	Plan      Plan      `json:"plan"`
	Database  *Database `json:"database,omitempty"` // only while Serving
	Version   int64     `json:"version"`            // grows with every change landlord makes to the rest
}

// Plan is the tenant's plan and its limits.
type Plan struct {
	Code   string `json:"code"`
	Limits struct {
		MaxCompanies            int  `json:"max_companies"`
		MaxUsersPerCompany      int  `json:"max_users_per_company"`
		MaxTotalUsers           *int `json:"max_total_users"`
		MaxTransactionsPerMonth int  `json:"max_transactions_per_month"`
		MaxStorageGB            int  `json:"max_storage_gb"`
		APICallsPerHour         int  `json:"api_calls_per_hour"`
	} `json:"limits"`
}

// Database is the tenant's own database and the login of its own role.
type Database struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// Errors Resolve answers with.
var (
	ErrUnknownTenant = errors.New("tenancy: no tenant has this host")
	ErrUnavailable   = errors.New("tenancy: landlord cannot be reached and what is known of the tenant is too old")
)

// NotServingError is the answer for a tenant that may not be served.
type NotServingError struct{ Tenant *Tenant }

func (e *NotServingError) Error() string {
	return fmt.Sprintf("tenancy: tenant %s is %s", e.Tenant.Subdomain, e.Tenant.Status)
}

// Resolver resolves hosts to tenants; see the package comment.
type Resolver struct {
	cfg    Config
	flight singleflight.Group
	pools  *poolcache.Cache

	mu        sync.Mutex
	known     map[string]*Tenant   // by host
	unknown   map[string]time.Time // host → until when it stays unknown
	fullUntil time.Time            // unknown is full of hosts none of which expires before this
	newest    map[string]int64     // tenant id → the newest version the feed told of it
	heard     time.Time            // when the feed last spoke
	lastSeen  string               // the id of the last feed event, to resume from
	resolves  int                  // requests made to landlord's GET /v1/resolve
	jwks      keySet               // the keys that sign access tokens
	revoked   map[string]time.Time // session id → until when its access tokens are refused
}

// New returns a Resolver; call Run to follow landlord's change feed.
func New(cfg Config) (*Resolver, error) {
	if cfg.Landlord == "" || cfg.ServiceToken == "" {
		return nil, errors.New("tenancy: Landlord and ServiceToken are required")
	}
	if _, err := url.Parse(cfg.Landlord); err != nil {
		return nil, fmt.Errorf("tenancy: Landlord: %w", err)
	}
	cfg.Landlord = strings.TrimSuffix(cfg.Landlord, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.MaxStale <= 0 {
		cfg.MaxStale = 30 * time.Second
	}
	if cfg.NotFoundTTL <= 0 {
		cfg.NotFoundTTL = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p := cfg.Pool
	p.MaxConns, p.ConnsPerTenant, p.IdleAfter = cmp.Or(p.MaxConns, 100), cmp.Or(p.ConnsPerTenant, 4), cmp.Or(p.IdleAfter, 5*time.Minute)
	return &Resolver{cfg: cfg, pools: poolcache.New(p.MaxConns, p.ConnsPerTenant, p.IdleAfter),
		known: map[string]*Tenant{}, unknown: map[string]time.Time{}, newest: map[string]int64{}, revoked: map[string]time.Time{}}, nil
}

// Pool is a pool on the tenant's own database, connected as its own role:
// one per tenant, made on first use, within the Resolver's bounds (the least
// recently used closed when they are reached). A tenant that may no longer
// be served, or whose database moved, has its pool closed as the change
// feed tells it. Use it only for the request that resolved t.
func (r *Resolver) Pool(ctx context.Context, t *Tenant) (*pgxpool.Pool, error) {
	if !t.Serving || t.Database == nil {
		return nil, &NotServingError{Tenant: t}
	}
	d := *t.Database
	return r.pools.Get(ctx, t.ID, fmt.Sprint(d), func() (*pgx.ConnConfig, error) {
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s user=%s sslmode=disable", d.Host, d.Port, d.Name, d.Role))
		if err != nil {
			return nil, fmt.Errorf("tenancy: database of %s: %w", t.Subdomain, err)
		}
		cfg.Password, cfg.TLSConfig = d.Password, r.cfg.DatabaseTLS
		return cfg, nil
	})
}

// HasPool says whether the Resolver holds a pool on the tenant's database.
func (r *Resolver) HasPool(tenantID string) bool { return r.pools.Has(tenantID) }

// Close closes the tenant pools.
func (r *Resolver) Close() { r.pools.Close() }

// Staleness is how long ago landlord's change feed last spoke (a heartbeat
// comes every second); a Resolver that never heard it is as stale as can be.
// It is exported as tenancy_feed_staleness_seconds (the Resolver is a
// Prometheus collector): above a second or two, the Resolver is serving from
// memory.
func (r *Resolver) Staleness() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.heard.IsZero() {
		return math.MaxInt64
	}
	return time.Since(r.heard)
}

// Resolves counts the requests this Resolver made to GET /v1/resolve.
func (r *Resolver) Resolves() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resolves
}

// Resolve is the tenant a request to host is for. It answers
// ErrUnknownTenant for a host that is no tenant's, a *NotServingError for a
// tenant that may not be served, and ErrUnavailable when landlord cannot be
// reached and what is known is older than MaxStale.
func (r *Resolver) Resolve(ctx context.Context, host string) (*Tenant, error) {
	host, ok := normalHost(host)
	if !ok {
		return nil, ErrUnknownTenant
	}
	r.mu.Lock()
	t, isKnown := r.known[host]
	until, isUnknown := r.unknown[host]
	fresh := !r.heard.IsZero() && time.Since(r.heard) <= r.cfg.MaxStale
	r.mu.Unlock()
	switch {
	case isKnown && fresh:
		return serve(t)
	case isUnknown && time.Now().Before(until):
		return nil, ErrUnknownTenant
	}
	t, err := r.fetch(ctx, host)
	if err != nil {
		return nil, err
	}
	return serve(t)
}

func serve(t *Tenant) (*Tenant, error) {
	if !t.Serving {
		return nil, &NotServingError{Tenant: t}
	}
	return t, nil
}

// fetch asks landlord, once for all the callers that want host at the same time.
func (r *Resolver) fetch(ctx context.Context, host string) (*Tenant, error) {
	v, err, _ := r.flight.Do(host, func() (any, error) {
		// One caller's cancellation does not fail the others waiting on it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return r.ask(fctx, host)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Tenant), nil
}

func (r *Resolver) ask(ctx context.Context, host string) (*Tenant, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.Landlord+"/v1/resolve?host="+url.QueryEscape(host), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.cfg.ServiceToken)
	r.mu.Lock()
	r.resolves++
	r.mu.Unlock()
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		r.cfg.Log.Warn("tenancy: landlord unreachable", "error", err)
		return nil, ErrUnavailable
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		var t Tenant
		if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
			return nil, fmt.Errorf("tenancy: landlord's answer: %w", err)
		}
		r.mu.Lock()
		// An answer older than what the feed told (it crossed a change) is used once, not kept.
		if old, ok := r.known[host]; (!ok || old.Version <= t.Version) && t.Version >= r.newest[t.ID] {
			r.known[host] = &t
		}
		delete(r.unknown, host)
		r.mu.Unlock()
		return &t, nil
	case http.StatusNotFound:
		r.mu.Lock()
		delete(r.known, host)
		r.rememberUnknown(host, time.Now())
		r.mu.Unlock()
		return nil, ErrUnknownTenant
	default:
		r.cfg.Log.Warn("tenancy: landlord refused a resolution", "status", resp.StatusCode)
		return nil, ErrUnavailable
	}
}

// maxUnknown bounds the unknown hosts a Resolver remembers: a flood of
// made-up hosts costs landlord one resolution each whatever is remembered,
// and must not cost the service its memory too.
const maxUnknown = 10000

// rememberUnknown keeps host unknown for NotFoundTTL from now, forgetting
// those whose time is up when the map is full, and remembering nothing more
// while it is still full of live ones. r.mu is held.
func (r *Resolver) rememberUnknown(host string, now time.Time) {
	if len(r.unknown) >= maxUnknown {
		if now.Before(r.fullUntil) {
			return // full, and none of them expires before then: no sweep per host
		}
		r.fullUntil = time.Time{}
		for h, until := range r.unknown {
			switch {
			case !now.Before(until):
				delete(r.unknown, h)
			case r.fullUntil.IsZero() || until.Before(r.fullUntil):
				r.fullUntil = until
			}
		}
		if len(r.unknown) >= maxUnknown {
			return
		}
	}
	r.unknown[host] = now.Add(r.cfg.NotFoundTTL)
}

// Run follows landlord's change feed until ctx ends, connecting again a
// second after it breaks and resuming from the last event it received.
func (r *Resolver) Run(ctx context.Context) error {
	for {
		err := r.follow(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.cfg.Log.Warn("tenancy: change feed interrupted; connecting again", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (r *Resolver) follow(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.Landlord+"/v1/resolve/changes", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.cfg.ServiceToken)
	r.mu.Lock()
	resume := r.lastSeen
	r.mu.Unlock()
	if resume != "" {
		req.Header.Set("Last-Event-ID", resume)
	}
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("change feed answered %d", resp.StatusCode)
	}
	if resume == "" {
		// The feed starts from now: what was resolved before may have
		// changed unseen, so it is resolved again when next asked for.
		r.mu.Lock()
		clear(r.known)
		r.mu.Unlock()
	}
	sc := bufio.NewScanner(resp.Body)
	var id, event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			r.apply(id, event, data)
			id, event, data = "", "", ""
		case strings.HasPrefix(line, "id: "):
			id = line[len("id: "):]
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("change feed closed")
}

// apply takes one event of the change feed into what the Resolver knows.
func (r *Resolver) apply(id, event, data string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heard = time.Now()
	switch event {
	case "revoked":
		r.revoke(id, data)
		return
	case "tenant":
	default:
		return // a heartbeat: the feed is alive
	}
	var c struct {
		TenantID  string `json:"tenant_id"`
		Subdomain string `json:"subdomain"`
		Status    string `json:"status"`
		Serving   bool   `json:"serving"`
		Version   int64  `json:"version"`
	}
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		r.cfg.Log.Warn("tenancy: unreadable change", "error", err)
		return
	}
	r.lastSeen = id
	r.newest[c.TenantID] = max(r.newest[c.TenantID], c.Version)
	if !c.Serving {
		r.pools.Forget(c.TenantID) // its database is closed to it; a moved one gets a new pool on its next resolution
	}
	for host := range r.unknown {
		if label, _, _ := strings.Cut(host, "."); label == c.Subdomain {
			delete(r.unknown, host) // a new tenant may have taken it
		}
	}
	for host, t := range r.known {
		if t.ID != c.TenantID || t.Version >= c.Version {
			continue
		}
		if label, _, _ := strings.Cut(host, "."); !c.Serving && label == c.Subdomain {
			// Refused from now on, without asking landlord.
			stopped := *t
			stopped.Status, stopped.Serving, stopped.Database, stopped.Version = c.Status, false, nil, c.Version
			r.known[host] = &stopped
			continue
		}
		delete(r.known, host) // resolved again when next asked for: its database, limits or names moved
	}
}

// normalHost is host without its port, in lower case; a bare name or an
// address is no tenant's.
func normalHost(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	sub, rest, ok := strings.Cut(host, ".")
	if !ok || sub == "" || rest == "" || net.ParseIP(host) != nil {
		return "", false
	}
	return host, true
}
