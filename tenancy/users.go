package tenancy

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/signin"
)

// User is the signed-in user of a request: what its access token, signed by
// landlord, says.
type User struct {
	ID        string
	TenantID  string
	CompanyID string
	SessionID string
	TokenID   string
	Role      string // admin or member
	Email     string
	Expires   time.Time
}

// Errors Authenticate answers with.
var (
	ErrNoToken     = errors.New("tenancy: the request carries no bearer access token")
	ErrBadToken    = errors.New("tenancy: the access token is not valid")
	ErrOtherTenant = errors.New("tenancy: the access token is another tenant's")
	ErrRevoked     = errors.New("tenancy: the access token's session has ended")
)

// jwksRetry is how soon after a fetch the keys are fetched again for a
// token signed by a key not among them.
const jwksRetry = 5 * time.Second

// keySet is the signing keys landlord publishes, as last fetched.
type keySet struct {
	keys      map[string]ed25519.PublicKey
	fetchedAt time.Time
}

// Authenticate verifies an Authorization header's bearer access token for
// tenant t, without calling landlord but for its public keys
// (GET /.well-known/jwks.json, kept signin.JWKSMaxAge, fetched again at once
// for a key not among them): signed by one of them, not expired, and t's:
// a token of another tenant is ErrOtherTenant, whatever else it says, and
// one of a session landlord's change feed said was revoked (signed out, its
// user removed or its password changed) ErrRevoked. A tenant that may not be
// served is refused whatever its token.
func (r *Resolver) Authenticate(ctx context.Context, t *Tenant, authorization string) (*User, error) {
	if !t.Serving {
		return nil, &NotServingError{Tenant: t}
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, ErrNoToken
	}
	c, err := signin.Parse(strings.TrimSpace(tok), func(kid string) (ed25519.PublicKey, error) { return r.publicKey(ctx, kid) }, time.Now())
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if c.TenantID != t.ID {
		return nil, ErrOtherTenant
	}
	if r.sessionRevoked(c.SessionID) {
		return nil, ErrRevoked
	}
	return &User{ID: c.Subject, TenantID: c.TenantID, CompanyID: c.CompanyID, SessionID: c.SessionID, TokenID: c.ID,
		Role: c.Role, Email: c.Email, Expires: c.ExpiresAt.Time}, nil
}

// publicKey is the published key kid, fetching the keys when they are older
// than signin.JWKSMaxAge or, at most every jwksRetry, when kid is not among them.
func (r *Resolver) publicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	r.mu.Lock()
	set := r.jwks
	r.mu.Unlock()
	fresh := time.Since(set.fetchedAt) < signin.JWKSMaxAge
	if k, ok := set.keys[kid]; ok && fresh {
		return k, nil
	}
	if fresh && time.Since(set.fetchedAt) < jwksRetry {
		return nil, signin.ErrUnknownKey
	}
	v, err, _ := r.flight.Do("\x00jwks", func() (any, error) { return r.fetchKeys(ctx) })
	if err != nil {
		if k, ok := set.keys[kid]; ok && time.Since(set.fetchedAt) < r.cfg.MaxStale+signin.JWKSMaxAge {
			return k, nil // landlord unreachable: the keys it published a moment ago still hold
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if k, ok := v.(keySet).keys[kid]; ok {
		return k, nil
	}
	return nil, signin.ErrUnknownKey
}

func (r *Resolver) fetchKeys(ctx context.Context) (keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.Landlord+"/.well-known/jwks.json", nil)
	if err != nil {
		return keySet{}, err
	}
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return keySet{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return keySet{}, fmt.Errorf("GET /.well-known/jwks.json: %s", resp.Status)
	}
	var jwks signin.JWKS
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&jwks); err != nil {
		return keySet{}, fmt.Errorf("GET /.well-known/jwks.json: %w", err)
	}
	keys, err := jwks.Public()
	if err != nil {
		return keySet{}, err
	}
	set := keySet{keys: keys, fetchedAt: time.Now()}
	r.mu.Lock()
	r.jwks = set
	r.mu.Unlock()
	return set, nil
}

type userKey struct{}

// UserFromContext is the user RequireUser or EchoUser authenticated.
func UserFromContext(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	return u, ok
}

// RequireUser, after Middleware, admits only requests with a valid access
// token of the request's tenant (Authenticate), passing the user on in the
// context; others get a JSON error: 401 without a valid token, 403 with
// another tenant's, 503 when the keys cannot be had.
func (r *Resolver) RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, err := r.user(req)
		if err != nil {
			status, body := UserRefusal(err)
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), userKey{}, u)))
	})
}

// EchoUser is RequireUser for Echo, after Echo.
func (r *Resolver) EchoUser() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := r.user(c.Request())
			if err != nil {
				status, body := UserRefusal(err)
				if status == http.StatusUnauthorized {
					c.Response().Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				}
				return c.JSONBlob(status, body)
			}
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), userKey{}, u)))
			return next(c)
		}
	}
}

func (r *Resolver) user(req *http.Request) (*User, error) {
	t, ok := FromContext(req.Context())
	if !ok {
		return nil, errors.New("tenancy: RequireUser without Middleware before it")
	}
	return r.Authenticate(req.Context(), t, req.Header.Get("Authorization"))
}

// UserRefusal is the status and JSON body for a request RequireUser refused.
func UserRefusal(err error) (int, []byte) {
	status, code, msg := http.StatusServiceUnavailable, "unavailable", "sign-in cannot be checked right now"
	var ns *NotServingError
	switch {
	case errors.Is(err, ErrNoToken):
		status, code, msg = http.StatusUnauthorized, "unauthorized", "sign in: the request carries no access token"
	case errors.Is(err, ErrRevoked):
		status, code, msg = http.StatusUnauthorized, "unauthorized", "the session has ended: sign in again"
	case errors.Is(err, ErrBadToken):
		status, code, msg = http.StatusUnauthorized, "unauthorized", "the access token is not valid or has expired"
	case errors.Is(err, ErrOtherTenant):
		status, code, msg = http.StatusForbidden, "forbidden", "the access token is not for this workspace"
	case errors.As(err, &ns):
		status, code, msg = http.StatusForbidden, "tenant_suspended", "the workspace is "+ns.Tenant.Status
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	return status, body
}

// revoke takes a feed's revoked event: the session's access tokens are
// refused until they would have expired. Sessions whose tokens have all
// expired are forgotten as new ones come, so the set holds only the last
// few minutes' revocations.
func (r *Resolver) revoke(id, data string) {
	var e struct {
		SessionID string    `json:"session_id"`
		Until     time.Time `json:"until"`
	}
	if err := json.Unmarshal([]byte(data), &e); err != nil || e.SessionID == "" {
		r.cfg.Log.Warn("tenancy: unreadable revocation", "error", err)
		return
	}
	r.lastSeen = id
	now := time.Now()
	if len(r.revoked) >= 1024 && len(r.revoked)%1024 == 0 {
		for sid, until := range r.revoked {
			if until.Before(now) {
				delete(r.revoked, sid)
			}
		}
	}
	if e.Until.After(now) {
		r.revoked[e.SessionID] = e.Until
	}
}

// sessionRevoked says whether the change feed said sid was revoked.
func (r *Resolver) sessionRevoked(sid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.revoked[sid]
	return ok && time.Now().Before(until)
}
