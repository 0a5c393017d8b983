package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/notify"
)

// ChangePlanInput is a requested plan change.
type ChangePlanInput struct {
	TenantID     uuid.UUID
	PlanCode     string
	BillingCycle string // "" keeps the tenant's cycle
	Effective    string // "", "immediate" or "period_end"
	Actor        string
}

// ChangePlanResult is the change as applied or scheduled.
type ChangePlanResult struct {
	From        string
	To          string
	FromCycle   string
	ToCycle     string
	Direction   string
	EffectiveAt time.Time
	Scheduled   bool
	InvoiceID   *uuid.UUID
	CreditCents int64      // added to the credit balance by an immediate downgrade
	Rejected    *Rejection // the change was turned down: nothing changed
}

// ChangePlanWorkflowID is the ID of a tenant's plan change: one at a time.
func ChangePlanWorkflowID(tenantID uuid.UUID) string { return "plan-change/" + tenantID.String() }

// ChangePlan validates and prices a plan change, then schedules it, or holds
// the tenant's billing, invoices and charges it, and only then applies it and
// tells the tenant's admin. A change turned down (bad input, a conflict, a
// declined charge, whose invoice is voided) completes with Rejected set and
// changes nothing.
func ChangePlan(ctx workflow.Context, in ChangePlanInput) (*ChangePlanResult, error) {
	if in.TenantID == uuid.Nil || in.PlanCode == "" {
		return nil, temporal.NewNonRetryableApplicationError("a plan change needs a tenant and a plan", activities.ErrInvalidInput, nil)
	}
	c := &planChange{in: in}
	res, err := c.run(ctx)
	if r, ok := AsRejection(err); ok && workflow.GetVersion(ctx, "rejections-complete", workflow.DefaultVersion, 1) == 1 {
		return &ChangePlanResult{Rejected: r}, nil
	}
	return res, err
}

type planChange struct {
	in    ChangePlanInput
	quote activities.Quote
}

func (c *planChange) run(ctx workflow.Context) (res *ChangePlanResult, err error) {
	quoteIn := activities.QuoteInput{TenantID: c.in.TenantID, PlanCode: c.in.PlanCode, BillingCycle: c.in.BillingCycle,
		Effective: c.in.Effective, Now: workflow.Now(ctx), Actor: c.in.Actor}
	if err = call(ctx, opts(10*time.Second, 10*time.Minute), plans.Quote, quoteIn, &c.quote); err != nil {
		return nil, err
	}
	qt := c.quote
	if qt.CheckFit {
		fit := activities.FitInput{Ref: qt.Ref, PlanCode: qt.After.Plan}
		if err = call(ctx, opts(30*time.Second, 10*time.Minute), dbs.CheckFit, fit, nil); err != nil {
			return nil, err
		}
	}
	res = &ChangePlanResult{From: qt.Before.Plan, To: qt.After.Plan, FromCycle: qt.Before.Cycle, ToCycle: qt.After.Cycle,
		Direction: qt.Direction, EffectiveAt: qt.EffectiveAt, Scheduled: qt.Scheduled}
	if qt.Scheduled {
		return res, c.schedule(ctx)
	}
	if workflow.GetVersion(ctx, "charge-then-grant", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return c.grantThenCharge(ctx, res)
	}

	// Hold the tenant's billing at the quoted version: no renewal or trial end
	// moves it until the change is applied or given up.
	key := "plan-change/" + c.in.TenantID.String() + "/" + workflow.GetInfo(ctx).WorkflowExecution.RunID
	hold := activities.HoldInput{TenantID: c.in.TenantID, Version: qt.Version, Key: key, Until: workflow.Now(ctx).Add(billingHold)}
	if err = call(ctx, opts(10*time.Second, 10*time.Minute), plans.Hold, hold, nil); err != nil {
		return nil, err
	}
	defer undo(ctx, "release the billing hold", plans.Release, activities.ReleaseInput{TenantID: c.in.TenantID, Key: key})
	res.CreditCents = max(-qt.NetCents, 0)

	// Charge, then grant: the new limits apply only once the invoice is paid.
	var inv activities.InvoiceRef
	if qt.NetCents > 0 {
		if inv, err = c.invoice(ctx); err != nil {
			return nil, err
		}
		res.InvoiceID = &inv.ID
		if err = c.collect(ctx, inv); err != nil {
			undo(ctx, "void the invoice", bill.VoidInvoice, inv.ID)
			return nil, err
		}
	}
	apply := activities.ApplyInput{TenantID: c.in.TenantID, Quote: qt, Key: key, InvoiceID: res.InvoiceID, Actor: c.in.Actor}
	if err = call(ctx, opts(10*time.Second, 0), plans.Apply, apply, nil); err != nil {
		return nil, err
	}
	return res, c.finish(ctx, res, inv)
}

// billingHold bounds how long a plan change may hold a tenant's billing: a
// renewal that finds a hold older than this goes ahead, and the change, should
// it ever get paid after that, becomes credit instead.
const billingHold = time.Hour

// finish reopens a tenant back from an expired trial and tells its admin.
func (c *planChange) finish(ctx workflow.Context, res *ChangePlanResult, inv activities.InvoiceRef) error {
	qt := c.quote
	// A tenant back from an expired trial gets its database back.
	if workflow.GetVersion(ctx, "reopen-expired-trial", workflow.DefaultVersion, 1) == 1 && qt.Before.Status == lifecycle.Suspended {
		if err := reopen(ctx, c.in.TenantID, qt.Before.Status); err != nil {
			return err
		}
	}
	c.tell(ctx, "plan_changed", notify.Data{
		"from": qt.Before.Plan, "to": qt.After.Plan, "effective_at": qt.EffectiveAt.Format("2 Jan 2006"),
		"invoice": inv.Number, "total": notify.Money(inv.TotalCents, qt.Currency), "credit": creditText(res.CreditCents, qt.Currency),
	})
	return nil
}

// grantThenCharge is the order runs started before "charge, then grant" took
// effect recorded: apply, invoice, charge, revert on a decline. It is kept so
// their histories replay; run live, its Apply finds no hold and the change
// fails before anything is granted or charged.
func (c *planChange) grantThenCharge(ctx workflow.Context, res *ChangePlanResult) (_ *ChangePlanResult, err error) {
	qt := c.quote
	apply := activities.ApplyInput{TenantID: c.in.TenantID, Quote: qt, Actor: c.in.Actor}
	if err = call(ctx, opts(10*time.Second, 30*time.Minute), plans.Apply, apply, nil); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			undo(ctx, "put the tenant back on its plan", plans.Revert, apply)
		}
	}()
	res.CreditCents = max(-qt.NetCents, 0)
	var inv activities.InvoiceRef
	if qt.NetCents > 0 {
		if inv, err = c.invoice(ctx); err != nil {
			return nil, err
		}
		res.InvoiceID = &inv.ID
		defer func() {
			if err != nil {
				undo(ctx, "void the invoice", bill.VoidInvoice, inv.ID)
			}
		}()
		if err = c.collect(ctx, inv); err != nil {
			return nil, err
		}
	}
	return res, c.finish(ctx, res, inv)
}

// schedule records a change that applies at the end of the period (or trial).
func (c *planChange) schedule(ctx workflow.Context) error {
	in := activities.ScheduleInput{TenantID: c.in.TenantID, Quote: c.quote, Actor: c.in.Actor}
	if err := call(ctx, opts(10*time.Second, 30*time.Minute), plans.Schedule, in, nil); err != nil {
		return err
	}
	c.tell(ctx, "plan_change_scheduled", notify.Data{
		"from": c.quote.Before.Plan, "to": c.quote.After.Plan, "effective_at": c.quote.EffectiveAt.Format("2 Jan 2006"),
	})
	return nil
}

// invoice writes the change's invoice; the key ties it to this run.
func (c *planChange) invoice(ctx workflow.Context) (activities.InvoiceRef, error) {
	qt := c.quote
	in := activities.InvoiceInput{
		TenantID: c.in.TenantID, Key: "plan-change/" + c.in.TenantID.String() + "/" + workflow.GetInfo(ctx).WorkflowExecution.RunID,
		Currency: qt.Currency, Lines: qt.Lines, PeriodStart: qt.After.PeriodStart, PeriodEnd: qt.After.PeriodEnd, Now: workflow.Now(ctx),
	}
	var inv activities.InvoiceRef
	err := call(ctx, opts(10*time.Second, 0), bill.CreateInvoice, in, &inv)
	return inv, err
}

// collect finalizes the invoice at the provider and charges it once; a decline
// is a non-retryable "payment_failed" that carries the provider's reason.
func (c *planChange) collect(ctx workflow.Context, inv activities.InvoiceRef) error {
	if inv.Status == "paid" { // the credit balance covered it
		return nil
	}
	if err := call(ctx, opts(time.Minute, 0), bill.FinalizeInvoice, inv.ID, nil); err != nil {
		return err
	}
	var charge activities.ChargeResult
	in := activities.ChargeInput{InvoiceID: inv.ID, Attempt: "plan-change", Actor: c.in.Actor}
	if err := call(ctx, opts(20*time.Second, 0), bill.Charge, in, &charge); err != nil {
		return err
	}
	if !charge.Paid {
		return temporal.NewNonRetryableApplicationError("the payment was declined: "+charge.FailureMessage, activities.ErrPaymentFailed, nil,
			map[string]any{"invoice": inv.Number, "failure_code": charge.FailureCode})
	}
	return nil
}

// tell tells the tenant's admin about this change; a message that cannot be
// delivered does not undo it.
func (c *planChange) tell(ctx workflow.Context, template string, data notify.Data) {
	tell(ctx, c.in.TenantID, template, workflow.GetInfo(ctx).WorkflowExecution.RunID, data)
}

func creditText(cents int64, currency string) string {
	if cents <= 0 {
		return ""
	}
	return notify.Money(cents, currency)
}

// call runs one activity with its options and decodes its result into result (when not nil).
func call(ctx workflow.Context, ao workflow.ActivityOptions, activity, arg, result any) error {
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), activity, arg).Get(ctx, result)
}
