package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/token"
)

// A browser (the portal) never holds a token where page scripts can read it:
// it exchanges the token for a session whose id travels in an HttpOnly,
// SameSite=Strict cookie, and sends the session's CSRF token in a header with
// every request that changes something.
const (
	sessionCookie   = "landlord_session"
	csrfHeader      = "X-CSRF-Token"
	sessionLifetime = 12 * time.Hour
)

type sessionRequest struct {
	Token string `json:"token"`
}

type sessionView struct {
	Role      string     `json:"role"`
	TokenID   uuid.UUID  `json:"token_id"`
	TenantID  *uuid.UUID `json:"tenant_id"`
	CSRFToken string     `json:"csrf_token"` // send it as X-CSRF-Token with every POST, PUT and DELETE
	ExpiresAt time.Time  `json:"expires_at"`
}

// startSession is POST /v1/session: a valid token in the body becomes a
// session cookie. A bad token counts against the address like any other.
func (s *Server) startSession(c echo.Context) error {
	var req sessionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	row, err := s.liveToken(c, strings.TrimSpace(req.Token))
	if err != nil {
		return err
	}
	if row.Role == token.RoleService {
		return forbidden("a service token does not sign in to the portal")
	}
	ctx := c.Request().Context()
	id, csrf := randomToken(), randomToken()
	expires := time.Now().Add(sessionLifetime).UTC().Truncate(time.Second)
	sum := sha256.Sum256([]byte(id))
	details, _ := json.Marshal(map[string]string{"token_id": row.ID.String(), "address": c.RealIP()})
	err = db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		if err := q.APISessionCreate(ctx, db.APISessionCreateParams{IDSha256: sum[:], TokenID: row.ID, CsrfToken: csrf, ExpiresAt: expires}); err != nil {
			return err
		}
		actor := principal{TokenID: row.ID, Role: row.Role, MintedBy: row.CreatedBy}.actor()
		return q.AuditInsert(ctx, db.AuditInsertParams{TenantID: row.TenantID, Actor: actor, Action: "SESSION_STARTED", Details: details})
	})
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Scheme() == "https", Expires: expires, MaxAge: int(sessionLifetime.Seconds())})
	return c.JSON(http.StatusCreated, sessionView{Role: row.Role, TokenID: row.ID, TenantID: row.TenantID, CSRFToken: csrf, ExpiresAt: expires})
}

// getSession is GET /v1/session: the session the cookie names, with its CSRF
// token (for a page that was reloaded).
func (s *Server) getSession(c echo.Context) error {
	row, ok := c.Get(sessionKey).(db.APISessionAuthenticateRow)
	if !ok {
		return notFound("session (this request carried a token, not a session cookie)")
	}
	return c.JSON(http.StatusOK, sessionView{Role: row.Role, TokenID: row.ID, TenantID: row.TenantID, CSRFToken: row.CsrfToken, ExpiresAt: row.ExpiresAt})
}

// endSession is DELETE /v1/session: the session is revoked and its cookie cleared.
func (s *Server) endSession(c echo.Context) error {
	cookie, err := c.Cookie(sessionCookie)
	if _, ok := c.Get(sessionKey).(db.APISessionAuthenticateRow); !ok || err != nil {
		return notFound("session (this request carried a token, not a session cookie)")
	}
	sum := sha256.Sum256([]byte(cookie.Value))
	if err := s.q.APISessionRevoke(c.Request().Context(), sum[:]); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Scheme() == "https", MaxAge: -1})
	return c.NoContent(http.StatusNoContent)
}

const sessionKey = "session"

// authenticateSession admits a request by its session cookie; one that
// changes something must carry the session's CSRF token too.
func (s *Server) authenticateSession(c echo.Context, next echo.HandlerFunc, id string) error {
	sum := sha256.Sum256([]byte(id))
	row, err := s.q.APISessionAuthenticate(c.Request().Context(), sum[:])
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && row.RevokedAt != nil) {
		return unauthorized("the session has ended: sign in again")
	}
	if err != nil {
		return err
	}
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if subtle.ConstantTimeCompare([]byte(c.Request().Header.Get(csrfHeader)), []byte(row.CsrfToken)) != 1 {
			return forbidden("a request that changes something must carry the session's " + csrfHeader)
		}
	}
	c.Set(sessionKey, row)
	return s.admit(c, next, db.APITokenAuthenticateRow{ID: row.ID, TokenHash: row.TokenHash, Role: row.Role, TenantID: row.TenantID,
		RevokedAt: row.RevokedAt, CreatedBy: row.CreatedBy, TenantStatus: row.TenantStatus, TenantRateLimit: row.TenantRateLimit}, true)
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
