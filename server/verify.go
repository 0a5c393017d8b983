package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
)

type verifyRequest struct {
	Code string `json:"code"`
}

// verifyContact takes back a code landlord sent to the tenant's admin email
// or phone: the address or number it was sent to is verified, and messages
// carrying what the signup wrote may go there from now on. Every wrong code
// counts against the tenant's pending codes; the fifth voids them.
func (s *Server) verifyContact(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req verifyRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	code := strings.ToUpper(strings.TrimSpace(req.Code))
	if code == "" || len(code) > 64 {
		return invalidFields(map[string]string{"code": "must be the code sent to the email address or phone"})
	}
	sum := sha256.Sum256([]byte(code))
	ctx := c.Request().Context()
	var verified string
	err = db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		pending, err := q.VerificationPendingForUpdate(ctx, id)
		if err != nil {
			return err
		}
		for _, v := range pending {
			if subtle.ConstantTimeCompare(v.CodeSha256, sum[:]) != 1 {
				continue
			}
			if err := q.VerificationMarkVerified(ctx, db.VerificationMarkVerifiedParams{TenantID: id, Channel: v.Channel}); err != nil {
				return err
			}
			n, err := q.TenantMarkContactVerified(ctx, db.TenantMarkContactVerifiedParams{ID: id, Channel: v.Channel, Recipient: v.Recipient})
			if err != nil || n == 0 {
				return db.NotFound(err)
			}
			verified = "email"
			if v.Channel == notify.SMS {
				verified = "phone"
			}
			return q.AuditInsert(ctx, db.AuditInsertParams{TenantID: &id, Actor: principalOf(c).actor(),
				Action: strings.ToUpper(verified) + "_VERIFIED", Details: []byte(`{}`)})
		}
		return q.VerificationCountFailure(ctx, id)
	})
	if err != nil {
		return err
	}
	if verified == "" {
		return invalidFields(map[string]string{"code": "does not match a code sent to this tenant (five wrong codes void them)"})
	}
	return c.JSON(http.StatusOK, verifyResponse{Verified: verified})
}
