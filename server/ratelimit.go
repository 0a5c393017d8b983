package server

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// addressLimiter is a token bucket per client address, held in process.
type addressLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	swept   time.Time
}

// newAddressLimiter allows n requests per window per address; n = 0 disables it.
func newAddressLimiter(n int, window time.Duration) *addressLimiter {
	if n <= 0 {
		return nil
	}
	return &addressLimiter{limit: rate.Every(window / time.Duration(n)), burst: n, buckets: map[string]*rate.Limiter{}}
}

// allow reports whether addr may go on, and if not how long it should wait.
func (l *addressLimiter) allow(addr string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // forget addresses whose bucket is full again
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[addr]
	if !ok {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[addr] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limitSignups answers 429 with Retry-After once an address has used its signups.
func (s *Server) limitSignups(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.signups == nil {
			return next(c)
		}
		if ok, wait := s.signups.allow(c.RealIP()); !ok {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return rateLimited("too many signups from this address; try again later")
		}
		return next(c)
	}
}
