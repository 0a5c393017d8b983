// Package ratelimit is the per-tenant API rate limit: GCRA (the generic cell
// rate algorithm) over an hour, in process or in Redis so every API replica
// shares one bound.
package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Decision is the outcome of one request against a limit.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration // when refused: how long until one request is allowed
	ResetAfter time.Duration // how long until the full limit is available again
}

// Limiter decides whether a request of key may go on under limit requests an hour.
type Limiter interface {
	Allow(ctx context.Context, key string, limit int) (Decision, error)
}

const window = time.Hour

// SharedPrefix is where landlord keeps its limits in Redis: a service that
// counts a tenant's API calls against the same bound (the tenancy kit) uses
// it too.
const SharedPrefix = "landlord:ratelimit:"

// gcra is the algorithm on the key's theoretical arrival time: each request
// moves it one emission interval (window/limit) on; a request is refused while
// it would lie more than the window ahead of now.
func gcra(now, tat time.Time, limit int) (d Decision, newTAT time.Time) {
	interval := window / time.Duration(limit)
	if tat.Before(now) {
		tat = now
	}
	newTAT = tat.Add(interval)
	allowAt := newTAT.Add(-window)
	d.Limit = limit
	if now.Before(allowAt) {
		d.RetryAfter = allowAt.Sub(now)
		d.ResetAfter = tat.Sub(now)
		return d, tat
	}
	d.Allowed = true
	d.Remaining = int(now.Sub(allowAt) / interval)
	d.ResetAfter = newTAT.Sub(now)
	return d, newTAT
}

// Memory is a Limiter held in this process.
type Memory struct {
	mu   sync.Mutex
	tats map[string]time.Time
	now  func() time.Time
}

// NewMemory returns an in-process limiter.
func NewMemory() *Memory { return &Memory{tats: map[string]time.Time{}, now: time.Now} }

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, limit int) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.tats) > 100000 { // forget keys whose limit is whole again
		for k, t := range m.tats {
			if t.Before(now) {
				delete(m.tats, k)
			}
		}
	}
	d, tat := gcra(now, m.tats[key], limit)
	m.tats[key] = tat
	return d, nil
}

// Redis is a Limiter whose state lives in Redis, shared by every replica; the
// whole decision runs as one Lua script on Redis's clock.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis connects to the Redis at url (redis://host:port/db).
func NewRedis(url, prefix string) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	return &Redis{client: redis.NewClient(opts), prefix: prefix}, nil
}

// Close closes the connection.
func (r *Redis) Close() error { return r.client.Close() }

// The script keeps the theoretical arrival time in microseconds.
var gcraScript = redis.NewScript(`
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - window
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
`)

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit int) (Decision, error) {
	interval := window.Microseconds() / int64(limit)
	res, err := gcraScript.Run(ctx, r.client, []string{r.prefix + key}, interval, window.Microseconds()).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("rate limit in redis: %w", err)
	}
	return Decision{Allowed: res[0] == 1, Limit: limit, Remaining: int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond, ResetAfter: time.Duration(res[3]) * time.Microsecond}, nil
}
