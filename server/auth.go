package server

import (
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/token"
)

// principal is who a request acts as.
type principal struct {
	TokenID  uuid.UUID
	Role     string
	TenantID uuid.UUID // tenant admins only
	MintedBy string    // who minted the token: an actor, "signup:<address>", "cli"
}

func (p principal) actor() string {
	if p.Role == token.RoleOperator || p.Role == token.RoleService {
		return p.Role + ":" + p.TokenID.String()
	}
	a := "tenant_admin:" + p.TokenID.String()
	if strings.HasPrefix(p.MintedBy, "operator:") { // an operator acting with a tenant token it minted
		a += " via " + p.MintedBy
	}
	return a
}

const principalKey = "principal"

func principalOf(c echo.Context) principal { return c.Get(principalKey).(principal) }

// authenticate resolves the bearer token to a principal; a missing, malformed,
// unknown or revoked token is 401. Bad tokens, and only they, are throttled
// per client address: past the budget a bad token is 429, while a good token
// from the same address (behind NAT or a proxy, everyone's) always goes
// through, and a request with no token is not counted at all.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if notARoute(c.Path()) { // 404 or 405, token or not
			return routeNotFound(c)
		}
		h := strings.TrimSpace(c.Request().Header.Get("Authorization"))
		scheme, plain, _ := strings.Cut(h, " ")
		plain = strings.TrimSpace(plain)
		if cookie, err := c.Cookie(sessionCookie); h == "" && err == nil {
			return s.authenticateSession(c, next, cookie.Value)
		}
		switch {
		case h == "":
			return unauthorized("a bearer token is required")
		case !strings.EqualFold(scheme, "Bearer"): // schemes are case-insensitive (RFC 9110 §11.1)
			return unauthorized("the Authorization scheme must be Bearer")
		case plain == "":
			return unauthorized("the bearer token is empty")
		}
		hash := string(token.Hash(plain))
		if row, ok := s.hot.tokens.get(hash); ok { // a token read less than freshFor ago
			return s.admit(c, next, row, false)
		}
		row, err := s.liveToken(c, plain)
		if err != nil {
			return err
		}
		s.hot.tokens.put(hash, row)
		return s.admit(c, next, row, true)
	}
}

// liveToken is the row of a well-formed, known, unrevoked token; any other
// answers as a bad token (401, or 429 past the address's budget).
func (s *Server) liveToken(c echo.Context, plain string) (db.APITokenAuthenticateRow, error) {
	if !wellFormedToken(plain) {
		return db.APITokenAuthenticateRow{}, s.badToken(c)
	}
	hash := token.Hash(plain)
	row, err := s.q.APITokenAuthenticate(c.Request().Context(), hash)
	// The index finds the row by hash; the stored hash is compared again in
	// constant time, so nothing but that lookup depends on the token's bytes.
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && (row.RevokedAt != nil || subtle.ConstantTimeCompare(row.TokenHash, hash) != 1)) {
		return db.APITokenAuthenticateRow{}, s.badToken(c)
	}
	return row, err
}

// admit lets the request through as the token row names it: its role and
// tenant, its tenant's status and rate limit.
// Its last use is recorded when it was read from the database (touch).
func (s *Server) admit(c echo.Context, next echo.HandlerFunc, row db.APITokenAuthenticateRow, touch bool) error {
	p := principal{TokenID: row.ID, Role: row.Role, MintedBy: row.CreatedBy}
	if row.TenantID != nil {
		p.TenantID = *row.TenantID
	}
	// A service token resolves tenants and does nothing else; no other token resolves.
	if (p.Role == token.RoleService) != strings.HasPrefix(c.Path(), "/v1/resolve") {
		return forbidden("tenant resolution is for service tokens, and service tokens only resolve tenants")
	}
	if err := tenantMayCall(lifecycle.Status(row.TenantStatus), c.Request().Method, c.Path()); err != nil {
		return err
	}
	if row.TenantRateLimit != nil {
		if err := s.rateLimit(c, p.TenantID, int(*row.TenantRateLimit)); err != nil {
			return err
		}
	}
	if touch {
		if err := s.q.APITokenTouch(c.Request().Context(), row.ID); err != nil {
			s.log.Warn("record token use", "error", err)
		}
	}
	c.Set(principalKey, p)
	return next(c)
}

// badToken answers a bad token: 401, or 429 with Retry-After once the client
// address has used its budget of bad tokens.
func (s *Server) badToken(c echo.Context) error {
	if s.failures != nil {
		if ok, wait := s.failures.allow(c.RealIP()); !ok {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return rateLimited("too many requests with bad tokens from this address")
		}
	}
	return unauthorized("the token is not valid")
}

func wellFormedToken(t string) bool {
	return len(t) >= 16 && len(t) <= 256 && strings.IndexFunc(t, func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' '
	}) < 0
}

// operatorOnly refuses tenant-admin tokens with 403 (404 first for another
// tenant's id, so nothing of it is revealed).
func operatorOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if principalOf(c).Role != token.RoleOperator {
			if c.Param("id") != "" && strings.HasPrefix(c.Path(), "/v1/tenants/:id") {
				if _, err := tenantParam(c); err != nil {
					return err
				}
			}
			return forbidden("operators only")
		}
		return next(c)
	}
}

// tenantParam is the :id of a tenant route as the caller may see it: an
// operator any tenant, a tenant admin only its own; anything else is 404, so a
// foreign tenant's existence is never revealed.
func tenantParam(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, notFound("tenant")
	}
	if p := principalOf(c); p.Role != token.RoleOperator && p.TenantID != id {
		return uuid.Nil, notFound("tenant")
	}
	return id, nil
}

// suspendedMayCall are the routes a suspended tenant's admin keeps: enough to
// see what is owed and pay it.
var suspendedMayCall = map[string]bool{
	"GET /v1/me": true, "GET /v1/tenants/:id": true, "GET /v1/tenants/:id/invoices": true,
	"GET /v1/invoices/:id": true, "PUT /v1/tenants/:id/payment-method": true, "GET /v1/tenants/:id/notifications": true,
	"POST /v1/tenants/:id/plan":         true, // an expired trial comes back by choosing a plan
	"POST /v1/tenants/:id/plan/preview": true,
	"GET /v1/session":                   true, "DELETE /v1/session": true, // the portal loads, and signs out
}

// tenantMayCall blocks the admins of tenants that are not live: a suspended
// tenant gets 403 tenant_suspended except on the routes to pay, a cancelled one 403.
func tenantMayCall(status lifecycle.Status, method, route string) error {
	switch status {
	case lifecycle.Suspended:
		if !suspendedMayCall[method+" "+route] {
			return &APIError{Status: http.StatusForbidden, Code: "tenant_suspended",
				Message: "the tenant is suspended; pay its open invoices to come back"}
		}
	case lifecycle.Cancelled, lifecycle.Archiving, lifecycle.Archived, lifecycle.Failed:
		return forbidden("the tenant is " + string(status))
	}
	return nil
}

// rateLimit applies the tenant's plan limit of API calls an hour and says
// where it stands in the X-RateLimit headers; over it, 429 with Retry-After.
func (s *Server) rateLimit(c echo.Context, tenantID uuid.UUID, perHour int) error {
	d, err := s.limiter.Allow(c.Request().Context(), tenantID.String(), perHour)
	if err != nil {
		s.log.Warn("rate limiter unavailable; letting the request through", "error", err)
		return nil
	}
	h := c.Response().Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(d.ResetAfter.Seconds())), 10))
	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(d.RetryAfter.Seconds())), 10))
		return rateLimited("the plan's API rate limit is reached")
	}
	return nil
}

// revokeToken revokes a token: an operator any, a tenant admin its tenant's
// (another tenant's is 404). A revoked token answers 401 from then on.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return notFound("token")
	}
	p := principalOf(c)
	arg := db.APITokenRevokeParams{ID: id}
	if p.Role != token.RoleOperator {
		arg.TenantID = &p.TenantID
	}
	ctx := c.Request().Context()
	row, err := s.q.APITokenRevoke(ctx, arg)
	if err != nil {
		return db.NotFound(err)
	}
	if row.TenantID != nil {
		if err := s.scoped(c, func(q *db.Queries) error {
			return q.AuditInsert(ctx, db.AuditInsertParams{TenantID: row.TenantID, Actor: p.actor(), Action: "TOKEN_REVOKED",
				Details: []byte(`{"token_id":"` + id.String() + `"}`)})
		}); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// scoped runs fn in one transaction that sees, under row-level security, what
// the caller may: every tenant's rows for an operator, its own for a tenant admin.
func (s *Server) scoped(c echo.Context, fn func(q *db.Queries) error) error {
	if p := principalOf(c); p.Role != token.RoleOperator {
		return db.InTenantScope(c.Request().Context(), s.pool, p.TenantID, fn)
	}
	return db.InOperatorScope(c.Request().Context(), s.pool, fn)
}

// notARoute says whether path is one of the catch-alls the router falls back
// to when no route matches (the authenticated group's, under /v1).
func notARoute(path string) bool { return path == "/v1" || strings.HasSuffix(path, "/*") }

// routeNotFound answers a request no route took: 405 with the methods the
// path does take (Allow), or 404.
func routeNotFound(c echo.Context) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := c.Echo().NewContext(nil, nil)
		c.Echo().Router().Find(m, c.Request().URL.Path, probe)
		if !notARoute(probe.Path()) && probe.Path() != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		c.Response().Header().Set("Allow", strings.Join(allow, ", "))
		return echo.ErrMethodNotAllowed
	}
	return echo.ErrNotFound
}
