package tenancy

import (
	"context"
	"errors"
	"html"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

type contextKey struct{}

// FromContext is the tenant Middleware or Echo resolved for the request.
func FromContext(ctx context.Context) (*Tenant, bool) {
	t, ok := ctx.Value(contextKey{}).(*Tenant)
	return t, ok
}

// Middleware resolves the tenant of each request from its Host and passes it
// on in the request's context; a request that may not be served is answered
// here (see Refusal), and next never sees it. Nothing of one request's
// tenant outlives the request.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		t, err := r.admit(req.Context(), req.Host, w.Header())
		if err != nil {
			status, page := Refusal(err)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(page))
			return
		}
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), contextKey{}, t)))
	})
}

// Echo is Middleware for Echo.
func (r *Resolver) Echo() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			t, err := r.admit(c.Request().Context(), c.Request().Host, c.Response().Header())
			if err != nil {
				status, page := Refusal(err)
				c.Response().Header().Set("Cache-Control", "no-store")
				return c.HTML(status, page)
			}
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), contextKey{}, t)))
			return next(c)
		}
	}
}

// ErrRateLimited is the answer for a tenant over its API calls an hour.
var ErrRateLimited = errors.New("tenancy: the tenant's API calls an hour are used up")

// admit resolves the tenant of a request to host and counts the request
// against the tenant's API calls an hour (with Config.Limiter), saying where
// it stands in the X-RateLimit headers, as landlord's API does.
func (r *Resolver) admit(ctx context.Context, host string, h http.Header) (*Tenant, error) {
	t, err := r.Resolve(ctx, host)
	if err != nil || r.cfg.Limiter == nil {
		return t, err
	}
	d, err := r.cfg.Limiter.Allow(ctx, t.ID, t.Plan.Limits.APICallsPerHour)
	if err != nil {
		r.cfg.Log.Warn("tenancy: rate limiter unavailable; letting the request through", "error", err)
		return t, nil
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(d.ResetAfter.Seconds())), 10))
	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(d.RetryAfter.Seconds())), 10))
		return nil, ErrRateLimited
	}
	return t, nil
}

// Refusal is the status and plain page for a request the middleware refused:
// 404 for a host that is no tenant's, 403 for a tenant that may not be
// served, 429 for one over its API calls an hour, 503 when landlord cannot say.
func Refusal(err error) (int, string) {
	var ns *NotServingError
	switch {
	case errors.Is(err, ErrRateLimited):
		return http.StatusTooManyRequests, page("Too many requests", "This workspace has used its requests for the hour. Try again later.")
	case errors.Is(err, ErrUnknownTenant):
		return http.StatusNotFound, page("Nothing here", "No workspace answers at this address. Check the address you were given.")
	case errors.As(err, &ns):
		what := "is suspended. Its administrator can pay what is owed to bring it back."
		if ns.Tenant.Status != "suspended" {
			what = "is closed (" + ns.Tenant.Status + ")."
		}
		return http.StatusForbidden, page("Workspace unavailable", "The workspace "+ns.Tenant.Subdomain+" "+what)
	default:
		return http.StatusServiceUnavailable, page("Try again shortly", "This workspace cannot be reached right now.")
	}
}

func page(title, text string) string {
	return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title></head><body><h1>" + html.EscapeString(title) + "</h1><p>" + html.EscapeString(text) + "</p></body></html>\n"
}
