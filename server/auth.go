package server

import (
	"errors"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/token"
)

// principal is who a request acts as.
type principal struct {
	TokenID  uuid.UUID
	Role     string
	TenantID uuid.UUID // tenant admins only
}

func (p principal) actor() string {
	if p.Role == token.RoleOperator {
		return "operator:" + p.TokenID.String()
	}
	return "tenant_admin:" + p.TokenID.String()
}

const principalKey = "principal"

func principalOf(c echo.Context) principal { return c.Get(principalKey).(principal) }

// authenticate resolves the bearer token to a principal; a missing, malformed,
// unknown or revoked token is 401.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		plain, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !wellFormedToken(plain) {
			return unauthorized("a bearer token is required")
		}
		ctx := c.Request().Context()
		row, err := s.q.APITokenAuthenticate(ctx, token.Hash(plain))
		if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && row.RevokedAt != nil) {
			return unauthorized("the token is not valid")
		}
		if err != nil {
			return err
		}
		p := principal{TokenID: row.ID, Role: row.Role}
		if row.TenantID != nil {
			p.TenantID = *row.TenantID
		}
		if err := s.q.APITokenTouch(ctx, row.ID); err != nil {
			s.log.Warn("record token use", "error", err)
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func wellFormedToken(t string) bool {
	return len(t) >= 16 && len(t) <= 256 && strings.IndexFunc(t, func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsPrint(r) || r == ' '
	}) < 0
}

// operatorOnly refuses tenant-admin tokens with 403.
func operatorOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if principalOf(c).Role != token.RoleOperator {
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
