package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// Plans are the activities that quote, apply, schedule and undo plan changes.
type Plans struct {
	Pool *pgxpool.Pool
}

// Effective values of a plan change request.
const (
	EffectiveDefault   = ""
	EffectiveImmediate = "immediate"
	EffectivePeriodEnd = "period_end"
)

// PlanState is the part of a tenant a plan change moves: applied, or restored.
type PlanState struct {
	Plan        string
	Cycle       string
	Status      string
	TrialEndsAt *time.Time
	PeriodStart *time.Time
	PeriodEnd   *time.Time
}

// QuoteInput is a requested plan change.
type QuoteInput struct {
	TenantID     uuid.UUID
	PlanCode     string
	BillingCycle string // "" keeps the tenant's cycle
	Effective    string
	Now          time.Time // the workflow's clock
}

// Quote is a validated plan change and what it costs.
type Quote struct {
	Direction   string
	Scheduled   bool // recorded as pending and applied at EffectiveAt by renewal (or trial end)
	EffectiveAt time.Time
	Before      PlanState
	After       PlanState
	Lines       []billing.Line
	NetCents    int64 // > 0 invoiced now; < 0 goes to the credit balance
	Currency    string
	CheckFit    bool // a downgrade: current usage must fit the new plan
	Ref         DatabaseRef
}

func invalid(msg string) error { return permanent(ErrInvalidInput, msg, nil) }

// Quote validates a plan change against the tenant as it is now and prices it.
// It writes nothing, so running it twice gives the same answer.
func (a *Plans) Quote(ctx context.Context, in QuoteInput) (Quote, error) {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, in.TenantID)
	if err != nil {
		return Quote{}, fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
	}
	to, err := q.PlanGet(ctx, in.PlanCode)
	if errors.Is(db.NotFound(err), db.ErrNotFound) || (err == nil && !to.IsActive) {
		return Quote{}, permanent(ErrInvalidInput, fmt.Sprintf("unknown plan %q", in.PlanCode), nil, map[string]string{"plan_code": "is not an available plan"})
	}
	if err != nil {
		return Quote{}, fmt.Errorf("load plan %s: %w", in.PlanCode, err)
	}
	from, err := q.PlanGet(ctx, t.PlanCode)
	if err != nil {
		return Quote{}, fmt.Errorf("load plan %s: %w", t.PlanCode, err)
	}
	cycle := in.BillingCycle
	if cycle == "" {
		cycle = t.BillingCycle
	}
	// A trial that expired without a payment method comes back by choosing a
	// plan: it is priced as a trial that ends now.
	expired := t.Status == "suspended" && deref(t.SuspensionReason) == ReasonTrialExpired
	switch {
	case t.Status != "trial" && t.Status != "active" && t.Status != "past_due" && !expired:
		return Quote{}, invalid("a " + t.Status + " tenant cannot change plans")
	case expired && in.Effective == EffectivePeriodEnd:
		return Quote{}, permanent(ErrInvalidInput, "an expired trial comes back immediately", nil, map[string]string{"effective": "must be immediate"})
	case to.TrialDays > 0:
		return Quote{}, permanent(ErrInvalidInput, "the trial plan cannot be chosen", nil, map[string]string{"plan_code": "is the trial plan"})
	case cycle != billing.Monthly && cycle != billing.Annual:
		return Quote{}, permanent(ErrInvalidInput, "unknown billing cycle", nil, map[string]string{"billing_cycle": "must be monthly or annual"})
	case in.Effective != EffectiveDefault && in.Effective != EffectiveImmediate && in.Effective != EffectivePeriodEnd:
		return Quote{}, permanent(ErrInvalidInput, "unknown effective", nil, map[string]string{"effective": "must be immediate or period_end"})
	case to.PlanCode == t.PlanCode && cycle == t.BillingCycle:
		return Quote{}, invalid("the tenant is already on " + to.PlanCode + " (" + cycle + ")")
	}

	before := PlanState{Plan: t.PlanCode, Cycle: t.BillingCycle, Status: t.Status, TrialEndsAt: t.TrialEndsAt,
		PeriodStart: t.CurrentPeriodStart, PeriodEnd: t.CurrentPeriodEnd}
	fromTerms := billing.Terms{Plan: from.PlanCode, PlanName: from.PlanName, Cycle: t.BillingCycle, MonthlyCents: from.MonthlyPriceCents, AnnualCents: from.AnnualPriceCents}
	toTerms := billing.Terms{Plan: to.PlanCode, PlanName: to.PlanName, Cycle: cycle, MonthlyCents: to.MonthlyPriceCents, AnnualCents: to.AnnualPriceCents}
	qt := Quote{Direction: billing.Direction(fromTerms, toTerms), Before: before, Currency: to.Currency}
	now := in.Now.UTC().Truncate(time.Second)

	switch {
	case expired || (t.Status == "trial" && in.Effective == EffectiveImmediate):
		// The trial ends now and the first period is invoiced.
		c := billing.FirstPeriod(toTerms, now)
		qt.EffectiveAt, qt.Lines, qt.NetCents = now, c.Lines, c.NetCents
		qt.After = PlanState{Plan: to.PlanCode, Cycle: cycle, Status: "active", TrialEndsAt: t.TrialEndsAt, PeriodStart: &c.PeriodStart, PeriodEnd: &c.PeriodEnd}
	case t.Status == "trial":
		qt.Scheduled, qt.EffectiveAt = true, derefOr(t.TrialEndsAt, now)
	case in.Effective == EffectivePeriodEnd || (in.Effective == EffectiveDefault && qt.Direction == billing.Downgrade):
		qt.Scheduled, qt.EffectiveAt = true, derefOr(t.CurrentPeriodEnd, now)
	default:
		if t.CurrentPeriodStart == nil || t.CurrentPeriodEnd == nil {
			return Quote{}, permanent(ErrInconsistency, "the tenant has no current period", nil)
		}
		c := billing.ChangeNow(fromTerms, toTerms, *t.CurrentPeriodStart, *t.CurrentPeriodEnd, now)
		qt.EffectiveAt, qt.Lines, qt.NetCents = now, c.Lines, c.NetCents
		qt.After = PlanState{Plan: to.PlanCode, Cycle: cycle, Status: t.Status, TrialEndsAt: t.TrialEndsAt, PeriodStart: &c.PeriodStart, PeriodEnd: &c.PeriodEnd}
	}
	if qt.Scheduled {
		qt.After = PlanState{Plan: to.PlanCode, Cycle: cycle}
	}
	if qt.Direction == billing.Downgrade {
		qt.CheckFit = true
		if t.DatabaseServerID == nil {
			return Quote{}, permanent(ErrInconsistency, "the tenant has no database", nil)
		}
		srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
		if err != nil {
			return Quote{}, fmt.Errorf("load database server: %w", err)
		}
		qt.Ref = DatabaseRef{TenantID: t.ID, Server: tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}}
	}
	return qt, nil
}

func derefOr(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return *t
}

// ApplyInput applies a quoted change now.
type ApplyInput struct {
	TenantID uuid.UUID
	Quote    Quote
	Actor    string
}

// Apply moves the tenant from the quote's Before to its After state with the
// new plan's limits, adds the credit of a change that nets negative to the
// credit balance, and audits PLAN_UPGRADED / PLAN_DOWNGRADED, in one
// transaction. The update only matches the Before state: a rerun finds the
// After state and changes nothing; any other state is a "conflict".
func (a *Plans) Apply(ctx context.Context, in ApplyInput) error {
	qt := in.Quote
	credit := max(-qt.NetCents, 0)
	action := "PLAN_UPGRADED"
	if qt.Direction == billing.Downgrade {
		action = "PLAN_DOWNGRADED"
	}
	var charge, creditLines int64
	for _, l := range qt.Lines {
		if l.AmountCents > 0 {
			charge += l.AmountCents
		} else {
			creditLines -= l.AmountCents
		}
	}
	details := map[string]any{
		"old_plan": qt.Before.Plan, "new_plan": qt.After.Plan, "old_cycle": qt.Before.Cycle, "new_cycle": qt.After.Cycle,
		"effective": "immediate", "effective_at": qt.EffectiveAt,
		"proration": map[string]int64{"credit_cents": creditLines, "charge_cents": charge, "net_cents": qt.NetCents, "credit_balance_added_cents": credit},
	}
	return a.move(ctx, in.TenantID, qt.Before, qt.After, credit, in.Actor, action, details)
}

// Revert puts a tenant back from the quote's After to its Before state and
// takes back the credit Apply added: the compensation of a change whose charge
// failed. A tenant already back in Before is left alone.
func (a *Plans) Revert(ctx context.Context, in ApplyInput) error {
	qt := in.Quote
	details := map[string]any{"restored_plan": qt.Before.Plan, "abandoned_plan": qt.After.Plan}
	return a.move(ctx, in.TenantID, qt.After, qt.Before, -max(-qt.NetCents, 0), in.Actor, "PLAN_CHANGE_REVERTED", details)
}

func (a *Plans) move(ctx context.Context, tenantID uuid.UUID, from, to PlanState, creditDelta int64, actor, action string, details map[string]any) error {
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		_, err := q.TenantApplyPlan(ctx, db.TenantApplyPlanParams{
			ID: tenantID, PlanCode: to.Plan, BillingCycle: to.Cycle, Status: to.Status, TrialEndsAt: to.TrialEndsAt,
			CurrentPeriodStart: to.PeriodStart, CurrentPeriodEnd: to.PeriodEnd, CreditDeltaCents: creditDelta,
			FromPlanCode: from.Plan, FromBillingCycle: from.Cycle, FromStatus: from.Status,
		})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			t, gerr := q.TenantGet(ctx, tenantID)
			if gerr != nil {
				return fmt.Errorf("load tenant %s: %w", tenantID, gerr)
			}
			if t.PlanCode == to.Plan && t.BillingCycle == to.Cycle && t.Status == to.Status {
				return nil // moved by an earlier run of this activity
			}
			return permanent(ErrConflict, "the tenant changed while its plan change ran", nil)
		}
		if err != nil {
			return fmt.Errorf("apply plan %s to %s: %w", to.Plan, tenantID, err)
		}
		if from.Status != to.Status {
			if err := q.TenantStatusHistoryInsert(ctx, db.TenantStatusHistoryInsertParams{
				TenantID: tenantID, FromStatus: &from.Status, ToStatus: to.Status, Reason: "plan change", Actor: actor,
			}); err != nil {
				return fmt.Errorf("record status of %s: %w", tenantID, err)
			}
		}
		return audit(ctx, q, tenantID, actor, action, details)
	})
}

// ScheduleInput records a change that applies later.
type ScheduleInput struct {
	TenantID uuid.UUID
	Quote    Quote
	Actor    string
}

// Schedule records the change as the tenant's pending plan and audits
// PLAN_CHANGE_SCHEDULED; setting the same pending plan twice changes nothing more.
func (a *Plans) Schedule(ctx context.Context, in ScheduleInput) error {
	qt := in.Quote
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantSchedulePlan(ctx, db.TenantSchedulePlanParams{ID: in.TenantID, PendingPlanCode: &qt.After.Plan, PendingBillingCycle: &qt.After.Cycle})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return permanent(ErrConflict, "the tenant can no longer change plans", nil)
		}
		if err != nil {
			return fmt.Errorf("schedule plan of %s: %w", in.TenantID, err)
		}
		return audit(ctx, q, in.TenantID, in.Actor, "PLAN_CHANGE_SCHEDULED", map[string]any{
			"old_plan": t.PlanCode, "new_plan": qt.After.Plan, "old_cycle": t.BillingCycle, "new_cycle": qt.After.Cycle,
			"direction": qt.Direction, "effective_at": qt.EffectiveAt,
		})
	})
}
