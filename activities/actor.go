package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
)

// ErrForbidden is a workflow whose actor may not do what it asks: a forged
// start (anyone who reaches Temporal can start a workflow), never a user's.
const ErrForbidden = "forbidden"

// checkActor refuses an actor that is not who it claims to be, or that may not
// act as need asks: an operator must name a live operator token; a tenant
// admin a live token of tenantID (an operator acting through one it minted
// names both, and both must be live). Landlord's own workflows (System) are
// taken at their word: they cannot be told apart from a forged start by their
// input, so what they may do is bounded by the lifecycle's decisions instead.
func checkActor(ctx context.Context, q *db.Queries, actor string, tenantID uuid.UUID, need ...lifecycle.Who) error {
	who := whoOf(actor)
	if !slices.Contains(need, who) {
		return permanent(ErrForbidden, fmt.Sprintf("%s may not do this", who), nil)
	}
	if who == lifecycle.System {
		return nil
	}
	tokenPart, via, _ := strings.Cut(actor, " via ")
	if err := liveToken(ctx, q, tokenPart, tenantID); err != nil {
		return err
	}
	if via != "" {
		return liveToken(ctx, q, via, tenantID)
	}
	return nil
}

// liveToken checks that "operator:<id>" or "tenant_admin:<id>" names an
// unrevoked token of that role (and, for a tenant admin, of tenantID).
func liveToken(ctx context.Context, q *db.Queries, actor string, tenantID uuid.UUID) error {
	role, id, _ := strings.Cut(actor, ":")
	tokenID, err := uuid.Parse(id)
	if err != nil {
		return permanent(ErrForbidden, "the actor names no token", nil)
	}
	t, err := q.APITokenGetForActor(ctx, tokenID)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return permanent(ErrForbidden, "the actor's token does not exist", nil)
	}
	if err != nil {
		return fmt.Errorf("look up the actor's token: %w", err)
	}
	switch {
	case t.Role != role:
		return permanent(ErrForbidden, "the actor's token is not a "+role+"'s", nil)
	case t.RevokedAt != nil:
		return permanent(ErrForbidden, "the actor's token is revoked", nil)
	case role == "tenant_admin" && (t.TenantID == nil || *t.TenantID != tenantID):
		return permanent(ErrForbidden, "the actor's token is another tenant's", nil)
	}
	return nil
}
