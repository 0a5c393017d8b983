package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/converter"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/token"
)

// codecBodyLimit bounds a codec request: Temporal's own payload limit is 2 MB.
const codecBodyLimit = "4M"

// codecRoutes serve Temporal's remote codec protocol, so the Web UI and the
// CLI show landlord's sealed payloads decoded: POST /codec/decode and
// /codec/encode for an operator's token; POST /codec/k/{key}/decode for a
// Web UI configured with CODEC_KEY (decoding only: encoding makes payloads
// landlord's workers accept, which only operators may). Every decode is
// audited; CORS admits the configured Web UI origins.
func (s *Server) codecRoutes(e *echo.Echo, key string, origins []string) {
	cors := middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: origins,
		AllowMethods: []string{http.MethodPost, http.MethodOptions},
		AllowHeaders: []string{echo.HeaderContentType, echo.HeaderAuthorization, "X-Namespace"}})
	limit := middleware.BodyLimit(codecBodyLimit)
	handler := converter.NewPayloadCodecHTTPHandler(secrets.ReadingCodec(s.box))
	serve := func(c echo.Context) error {
		handler.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	methods := []string{http.MethodPost, http.MethodOptions}
	e.Match(methods, "/codec/encode", serve, cors, limit, s.authenticate, operatorOnly)
	e.Match(methods, "/codec/decode", serve, cors, limit, s.authenticate, operatorOnly, s.auditDecode)
	e.Match(methods, "/codec/k/:key/decode", serve, cors, limit, codecKey(key), s.auditDecode)
}

// codecKey admits a request whose path carries key (CODEC_KEY); without one
// configured, the keyed path does not exist.
func codecKey(key string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if key == "" || subtle.ConstantTimeCompare([]byte(c.Param("key")), []byte(key)) != 1 {
				return notFound("route")
			}
			c.Set(principalKey, principal{Role: "codec_key"})
			return next(c)
		}
	}
}

// auditDecode records who decoded payloads, of which namespace, how many.
func (s *Server) auditDecode(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		actor := "codec_key"
		if p := principalOf(c); p.Role == token.RoleOperator {
			actor = p.actor()
		}
		details, err := json.Marshal(map[string]string{"namespace": c.Request().Header.Get("X-Namespace"),
			"address": c.RealIP(), "user_agent": strings.TrimSpace(c.Request().UserAgent())})
		if err != nil {
			return err
		}
		err = db.InOperatorScope(c.Request().Context(), s.pool, func(q *db.Queries) error {
			return q.AuditInsert(c.Request().Context(), db.AuditInsertParams{Actor: actor, Action: "PAYLOADS_DECODED", Details: details})
		})
		if err != nil {
			return err
		}
		return next(c)
	}
}
