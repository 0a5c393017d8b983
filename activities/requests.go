package activities

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
)

// MoveTrialEndInput is an operator moving a trial's end: later (extending
// it), or to now (ending it).
type MoveTrialEndInput struct {
	TenantID uuid.UUID
	Until    time.Time
	Action   string // TRIAL_EXTENDED or TRIAL_ENDED_EARLY, for the audit log
	Reason   string
	Actor    string
}

// MoveTrialEnd sets a trial's end, audited with its reason; false when the
// tenant is not on a trial. Its trial end follows once woken (or started).
func (a *Lifecycle) MoveTrialEnd(ctx context.Context, in MoveTrialEndInput) (bool, error) {
	moved := false
	err := db.InOperatorScope(ctx, a.Pool, func(q *db.Queries) error {
		if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.Operator); err != nil {
			return err
		}
		_, err := q.TenantSetTrialEnd(ctx, db.TenantSetTrialEndParams{ID: in.TenantID, TrialEndsAt: &in.Until})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		moved = true
		return audit(ctx, q, in.TenantID, in.Actor, in.Action, map[string]any{"until": in.Until.UTC().Format(time.RFC3339), "reason": in.Reason})
	})
	return moved, err
}

// NoteInput is a request made of a tenant, recorded before it is carried out.
type NoteInput struct {
	TenantID uuid.UUID
	Actor    string
	Action   string
	Details  map[string]any
}

// Note writes a request to the tenant's audit log (an operator's only);
// false when there is no such tenant.
func (a *Lifecycle) Note(ctx context.Context, in NoteInput) (bool, error) {
	found := false
	err := db.InOperatorScope(ctx, a.Pool, func(q *db.Queries) error {
		if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.Operator); err != nil {
			return err
		}
		if _, err := q.TenantGet(ctx, in.TenantID); err != nil {
			if errors.Is(db.NotFound(err), db.ErrNotFound) {
				return nil
			}
			return err
		}
		found = true
		return audit(ctx, q, in.TenantID, in.Actor, in.Action, in.Details)
	})
	return found, err
}
