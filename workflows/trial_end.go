package workflows

import (
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/notify"
)

// TrialEndInput is a tenant whose trial ends soon.
type TrialEndInput struct {
	TenantID uuid.UUID
	Policy   LifecyclePolicy
}

// TrialEndResult says how the trial ended.
type TrialEndResult struct {
	Outcome string // "converted", "suspended", or "none" when the tenant had left the trial
}

// TrialEndRecheckSignal wakes a waiting trial end to read the tenant again: an
// operator moved the trial's end (or ended it now).
const TrialEndRecheckSignal = "recheck"

// TrialEndWorkflowID is the ID of a tenant's trial end.
func TrialEndWorkflowID(tenantID uuid.UUID) string { return "trial-end/" + tenantID.String() }

// TrialEnd reminds the tenant's admin before the trial ends, then converts the
// tenant to its chosen plan (or the cheapest paid one) when a payment method is
// on file, or suspends it with reason trial_expired. It rereads the tenant
// after every wait, so an extended or converted trial is followed.
func TrialEnd(ctx workflow.Context, in TrialEndInput) (*TrialEndResult, error) {
	reminded := false
	for {
		var st activities.TenantState
		if err := call(ctx, opts(10*time.Second, time.Hour), life.State, in.TenantID, &st); err != nil {
			return nil, err
		}
		if st.Status != lifecycle.Trial || st.TrialEndsAt == nil {
			return &TrialEndResult{Outcome: "none"}, nil
		}
		now, ends := workflow.Now(ctx), *st.TrialEndsAt
		if remindAt := ends.Add(-in.Policy.TrialReminder); now.Before(remindAt) {
			if err := sleepOrRecheck(ctx, remindAt.Sub(now)); err != nil {
				return nil, err
			}
			continue
		}
		if now.Before(ends) {
			if !reminded {
				tell(ctx, in.TenantID, "trial_reminder", ends.Format("2006-01-02"), notify.Data{
					"ends_at": ends.Format("2 Jan 2006"), "days_left": daysLeft(now, ends)})
				reminded = true
			}
			if err := sleepOrRecheck(ctx, ends.Sub(workflow.Now(ctx))); err != nil {
				return nil, err
			}
			continue
		}
		if st.HasPaymentMethod {
			return &TrialEndResult{Outcome: "converted"}, convertTrial(ctx, in)
		}
		suspended, err := suspend(ctx, in.TenantID, lifecycle.ReasonTrialExpired, "workflow:trial-end")
		if err != nil || !suspended {
			return &TrialEndResult{Outcome: "none"}, err
		}
		return &TrialEndResult{Outcome: "suspended"}, nil
	}
}

// sleepOrRecheck waits for d, or until the recheck signal comes.
func sleepOrRecheck(ctx workflow.Context, d time.Duration) error {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	var err error
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(tctx, d), func(f workflow.Future) { err = f.Get(ctx, nil) })
	sel.AddReceive(workflow.GetSignalChannel(ctx, TrialEndRecheckSignal), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
	})
	sel.Select(ctx)
	return err
}

// convertTrial starts the first paid period and collects its invoice.
func convertTrial(ctx workflow.Context, in TrialEndInput) error {
	var p activities.Period
	start := activities.PeriodInput{TenantID: in.TenantID, Trial: true, Now: workflow.Now(ctx), Actor: "workflow:trial-end"}
	if err := call(ctx, opts(10*time.Second, 0), life.StartPeriod, start, &p); err != nil || p.Skipped {
		return err
	}
	tellNotApplied(ctx, in.TenantID, p)
	return collect(ctx, in.TenantID, p.Invoice, p.Currency, in.Policy, "workflow:trial-end")
}

func daysLeft(now, ends time.Time) string {
	if d := int(ends.Sub(now).Hours()+23) / 24; d != 1 {
		return strconv.Itoa(d) + " days"
	}
	return "1 day"
}
