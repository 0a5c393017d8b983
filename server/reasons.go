package server

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/token"
)

// reasonFor checks the reason given for an action on a tenant: an operator
// must give one (it goes to the tenant's audit log, and the tenant admin reads
// it there); a tenant admin acting on its own tenant may.
func reasonFor(c echo.Context, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" && principalOf(c).Role != token.RoleOperator {
		return "", nil
	}
	if problem := validName(reason, 200); problem != "" {
		if reason == "" {
			problem = "is required: say why, for the tenant's audit log"
		}
		return "", invalidFields(map[string]string{"reason": problem})
	}
	return reason, nil
}

// tenantAction reads an action on a tenant: its id, its body, and the reason
// the body gives (see reasonFor).
func tenantAction(c echo.Context, body any, reason *string) (uuid.UUID, string, error) {
	id, err := tenantParam(c)
	if err != nil {
		return id, "", err
	}
	if err := decode(c, body); err != nil {
		return id, "", err
	}
	r, err := reasonFor(c, *reason)
	return id, r, err
}

// checkUntil refuses a date an operator moves something to that is not
// within the next year.
func checkUntil(until time.Time) error {
	if !until.After(time.Now()) || until.After(time.Now().AddDate(1, 0, 0)) {
		return invalidFields(map[string]string{"until": "must be a time within the next year"})
	}
	return nil
}

// recordRequest writes what was asked of a tenant, by whom and why, to its
// audit log before the workflow that does it starts; the workflow records
// what it did. Nothing is written without a reason (a tenant admin's own
// request without one is audited by the workflow alone).
func (s *Server) recordRequest(ctx context.Context, tenantID uuid.UUID, actor, action, reason string, details map[string]any) error {
	if reason == "" {
		return nil
	}
	if details == nil {
		details = map[string]any{}
	}
	details["reason"] = reason
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	return db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		if _, err := q.TenantGet(ctx, tenantID); err != nil {
			return db.NotFound(err)
		}
		return q.AuditInsert(ctx, db.AuditInsertParams{TenantID: &tenantID, Actor: actor, Action: action, Details: b})
	})
}
