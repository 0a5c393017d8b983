package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/metrics"
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
	Status      lifecycle.Status
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
	Actor        string    // who asks: an operator, or the tenant's admin
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
	Version     int64 // the tenant's billing version the quote was made at
}

func invalid(msg string) error { return permanent(ErrInvalidInput, msg, nil) }

// Quote validates a plan change against the tenant as it is now and prices it.
// It writes nothing, so running it twice gives the same answer.
func (a *Plans) Quote(ctx context.Context, in QuoteInput) (Quote, error) {
	q := db.New(a.Pool)
	if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.Operator, lifecycle.TenantAdmin); err != nil {
		return Quote{}, err
	}
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
	expired := t.Status == lifecycle.Suspended && deref(t.SuspensionReason) == lifecycle.ReasonTrialExpired
	switch {
	case !t.Status.IsLive() && !expired:
		return Quote{}, invalid("a " + string(t.Status) + " tenant cannot change plans")
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
	qt := Quote{Direction: billing.Direction(fromTerms, toTerms), Before: before, Currency: to.Currency, Version: t.BillingVersion}
	now := in.Now.UTC().Truncate(time.Second)

	switch {
	case expired || (t.Status == lifecycle.Trial && in.Effective == EffectiveImmediate):
		// The trial ends now and the first period is invoiced.
		c := billing.FirstPeriod(toTerms, now)
		qt.EffectiveAt, qt.Lines, qt.NetCents = now, c.Lines, c.NetCents
		qt.After = PlanState{Plan: to.PlanCode, Cycle: cycle, Status: lifecycle.Active, TrialEndsAt: t.TrialEndsAt, PeriodStart: &c.PeriodStart, PeriodEnd: &c.PeriodEnd}
	case t.Status == lifecycle.Trial:
		qt.Scheduled, qt.EffectiveAt = true, derefOr(t.TrialEndsAt, now)
	case in.Effective == EffectivePeriodEnd || (in.Effective == EffectiveDefault && qt.Direction == billing.Downgrade):
		qt.Scheduled, qt.EffectiveAt = true, derefOr(t.CurrentPeriodEnd, now)
	default:
		if t.CurrentPeriodStart == nil || t.CurrentPeriodEnd == nil {
			return Quote{}, permanent(ErrInconsistency, "the tenant has no current period", nil)
		}
		paid, err := q.InvoicePaidForPeriod(ctx, db.InvoicePaidForPeriodParams{TenantID: t.ID, PeriodStart: t.CurrentPeriodStart, PeriodEnd: t.CurrentPeriodEnd})
		if err != nil {
			return Quote{}, fmt.Errorf("sum what %s paid for its period: %w", t.ID, err)
		}
		c := billing.ChangeNow(fromTerms, toTerms, *t.CurrentPeriodStart, *t.CurrentPeriodEnd, now, paid)
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

// HoldInput holds a tenant's billing for one plan change.
type HoldInput struct {
	TenantID uuid.UUID
	Version  int64  // the quote's: the hold is refused if the tenant's billing moved since
	Key      string // the change's own key, plan-change/<tenant>/<run>
	Until    time.Time
}

// Hold reserves the tenant's billing for a quoted change until Until: a
// renewal or a trial end waits for it, and the change is applied only under
// it. It fails with "conflict" when the tenant's billing changed since the
// quote or another hold is in force; taking one's own hold again is fine.
func (a *Plans) Hold(ctx context.Context, in HoldInput) error {
	_, err := db.New(a.Pool).TenantHoldBilling(ctx, db.TenantHoldBillingParams{ID: in.TenantID, Version: in.Version, Hold: &in.Key, HoldUntil: &in.Until})
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return permanent(ErrConflict, "the tenant's plan or period changed while the change was priced; ask again", nil)
	}
	if err != nil {
		return fmt.Errorf("hold billing of %s: %w", in.TenantID, err)
	}
	return nil
}

// ReleaseInput ends a change's hold.
type ReleaseInput struct {
	TenantID uuid.UUID
	Key      string
}

// Release ends the change's hold, if it still has one; releasing twice is fine.
func (a *Plans) Release(ctx context.Context, in ReleaseInput) error {
	if err := db.New(a.Pool).TenantReleaseBilling(ctx, db.TenantReleaseBillingParams{ID: in.TenantID, BillingHold: &in.Key}); err != nil {
		return fmt.Errorf("release billing of %s: %w", in.TenantID, err)
	}
	return nil
}

// ApplyInput applies a quoted, held and (if it costs anything) paid change.
type ApplyInput struct {
	TenantID  uuid.UUID
	Quote     Quote
	Key       string     // the hold the change was priced and paid under
	InvoiceID *uuid.UUID // its paid invoice, if it had one
	Actor     string
}

// Apply moves the tenant from the quote's Before to its After state with the
// new plan's limits, adds the credit of a change that nets negative to the
// credit balance, ends the hold and audits PLAN_UPGRADED / PLAN_DOWNGRADED, in
// one transaction, under the change's hold and at the quoted version only. A
// rerun finds its own key applied and changes nothing. If the tenant's billing
// moved anyway (the hold lapsed), nothing is granted: what was paid becomes
// credit, and the change fails with "conflict".
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
	lost, rerun := false, false
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		switch deref(t.BillingApplied) {
		case in.Key:
			rerun = true
			return nil // applied by an earlier run of this activity
		case in.Key + creditedSuffix:
			lost = true
			return nil
		}
		to := qt.After
		if t.Status != to.Status {
			event := lifecycle.TrialConverted
			if t.Status == lifecycle.Suspended {
				event = lifecycle.Resubscribed
			}
			if lifecycle.Check(t.Status, event, to.Status, whoOf(in.Actor)) != nil {
				lost = true
				return a.creditLostChange(ctx, q, t, in)
			}
		}
		_, err = q.TenantApplyPlan(ctx, db.TenantApplyPlanParams{
			ID: in.TenantID, PlanCode: to.Plan, BillingCycle: to.Cycle, Status: to.Status, TrialEndsAt: to.TrialEndsAt,
			CurrentPeriodStart: to.PeriodStart, CurrentPeriodEnd: to.PeriodEnd, CreditDeltaCents: credit,
			Version: qt.Version, Hold: &in.Key,
		})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			lost = true
			return a.creditLostChange(ctx, q, t, in)
		}
		if err != nil {
			return fmt.Errorf("apply plan %s to %s: %w", to.Plan, in.TenantID, err)
		}
		if t.Status != to.Status {
			if err := q.TenantStatusHistoryInsert(ctx, db.TenantStatusHistoryInsertParams{
				TenantID: in.TenantID, FromStatus: &t.Status, ToStatus: to.Status, Reason: "plan change", Actor: in.Actor,
			}); err != nil {
				return fmt.Errorf("record status of %s: %w", in.TenantID, err)
			}
		}
		return audit(ctx, q, in.TenantID, in.Actor, action, details)
	})
	if err == nil && lost {
		return permanent(ErrConflict, "the tenant's plan or period changed while the change was paid; what was paid is now credit", nil)
	}
	if err == nil && !rerun {
		metrics.PlanChanges.WithLabelValues(string(qt.Direction)).Inc()
	}
	return err
}

const creditedSuffix = "#credited"

// whoOf is the kind of actor an actor string names.
func whoOf(actor string) lifecycle.Who {
	switch {
	case strings.HasPrefix(actor, "operator:"):
		return lifecycle.Operator
	case strings.HasPrefix(actor, "tenant_admin:"):
		return lifecycle.TenantAdmin
	}
	return lifecycle.System
}

// creditLostChange turns the paid invoice of a change that can no longer be
// applied into credit, once: the tenant never pays for what it did not get.
func (a *Plans) creditLostChange(ctx context.Context, q *db.Queries, t db.Tenant, in ApplyInput) error {
	var paid int64
	if in.InvoiceID != nil {
		inv, err := q.InvoiceGet(ctx, *in.InvoiceID)
		if err != nil {
			return fmt.Errorf("load invoice %s: %w", *in.InvoiceID, err)
		}
		if inv.Status == "paid" {
			paid = inv.TotalCents + inv.CreditAppliedCents
		}
	}
	if err := q.TenantSettleLostChange(ctx, db.TenantSettleLostChangeParams{ID: t.ID, CreditCents: paid, BillingApplied: ptr(in.Key + creditedSuffix)}); err != nil {
		return fmt.Errorf("credit the lost change of %s: %w", t.ID, err)
	}
	return audit(ctx, q, t.ID, in.Actor, "PLAN_CHANGE_CREDITED", map[string]any{"abandoned_plan": in.Quote.After.Plan, "credit_cents": paid})
}

func ptr[T any](v T) *T { return &v }

// Revert changes nothing: it is the compensation of the plan-change flow that
// granted before charging, kept only so that histories recorded by that flow
// replay. A change is applied only once paid now, so there is nothing to undo.
func (a *Plans) Revert(context.Context, ApplyInput) error { return nil }

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
