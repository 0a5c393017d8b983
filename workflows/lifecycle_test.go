package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
)

var day0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// lifecycleEnv records, by the workflow clock, when each step ran.
type lifecycleEnv struct {
	*testsuite.TestWorkflowEnvironment
	at map[string][]time.Duration // since day0
}

func newLifecycleEnv() *lifecycleEnv {
	var s testsuite.WorkflowTestSuite
	env := &lifecycleEnv{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment(), at: map[string][]time.Duration{}}
	env.SetStartTime(day0)
	for _, a := range []any{&activities.Lifecycle{}, &activities.Billing{}, &activities.Notifications{}, &activities.Sweeps{}} {
		env.RegisterActivity(a)
	}
	env.OnActivity(notif.Deliver, mock.Anything, mock.Anything).Return("sent", nil).Maybe()
	env.OnActivity(life.ConvergeAccess, mock.Anything, mock.Anything).Return("blocked", nil).Maybe()
	return env
}

func (e *lifecycleEnv) mark(name string) { e.at[name] = append(e.at[name], e.Now().Sub(day0)) }

func (e *lifecycleEnv) queueRecorder() {
	e.OnActivity(notif.Queue, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.NoticeInput) ([]string, error) {
		e.mark(in.Template)
		return []string{"k"}, nil
	}).Maybe()
}

const day = 24 * time.Hour

func TestTrialCalendarRemindsOnDay11AndSuspendsOnDay14(t *testing.T) {
	env := newLifecycleEnv()
	ends := day0.Add(14 * day)
	env.OnActivity(life.State, mock.Anything, tenantID).Return(activities.TenantState{Status: lifecycle.Trial, TrialEndsAt: &ends, Exists: true}, nil)
	env.queueRecorder()
	env.OnActivity(life.Suspend, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SuspendInput) (bool, error) {
		env.mark("suspend:" + in.Reason)
		return true, nil
	})
	env.ExecuteWorkflow(TrialEnd, TrialEndInput{TenantID: tenantID, Policy: DefaultPolicy()})
	require.NoError(t, env.GetWorkflowError())
	var res TrialEndResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "suspended", res.Outcome)
	assert.Equal(t, []time.Duration{11 * day}, env.at["trial_reminder"])
	assert.Equal(t, []time.Duration{14 * day}, env.at["suspend:trial_expired"])
	assert.Equal(t, []time.Duration{14 * day}, env.at["trial_expired"])
}

func TestDunningRetriesOnDays1And3And7(t *testing.T) {
	env := newLifecycleEnv()
	inv := activities.InvoiceRef{ID: uuid.New(), Number: "INV-2026-000009", Status: "draft", TotalCents: 4900}
	end := day0
	env.OnActivity(life.StartPeriod, mock.Anything, mock.Anything).Return(activities.Period{Invoice: inv, Currency: "USD"}, nil)
	env.OnActivity(bill.FinalizeInvoice, mock.Anything, inv.ID).Return(nil)
	env.OnActivity(bill.Charge, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ChargeInput) (activities.ChargeResult, error) {
		env.mark("charge")
		return activities.ChargeResult{FailureCode: "card_declined"}, nil
	})
	var pastDue activities.PastDueInput
	env.OnActivity(life.MarkPastDue, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PastDueInput) error {
		pastDue = in
		return nil
	})
	env.queueRecorder()
	env.ExecuteWorkflow(Renewal, RenewalInput{TenantID: tenantID, PeriodEnd: end, Policy: DefaultPolicy()})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []time.Duration{0, 1 * day, 3 * day, 7 * day}, env.at["charge"])
	assert.Equal(t, []time.Duration{0, 1 * day, 3 * day, 7 * day}, env.at["payment_failed"], "told after every failed attempt")
	assert.Equal(t, day0.Add(14*day), pastDue.GraceUntil, "suspension is due on day 14")
}

func TestDunningStopsAtThePaymentAndReactivates(t *testing.T) {
	env := newLifecycleEnv()
	inv := activities.InvoiceRef{ID: uuid.New(), Status: "draft", TotalCents: 4900}
	env.OnActivity(life.StartPeriod, mock.Anything, mock.Anything).Return(activities.Period{Invoice: inv, Currency: "USD"}, nil)
	env.OnActivity(bill.FinalizeInvoice, mock.Anything, inv.ID).Return(nil)
	env.OnActivity(bill.Charge, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ChargeInput) (activities.ChargeResult, error) {
		env.mark("charge")
		return activities.ChargeResult{Paid: in.Attempt == "dunning-2"}, nil
	})
	env.OnActivity(life.MarkPastDue, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(life.Reactivate, mock.Anything, mock.Anything).Return(func(context.Context, activities.ReactivateInput) (activities.Reactivation, error) {
		env.mark("reactivate")
		return activities.Reactivation{Reactivated: true, From: lifecycle.PastDue, To: lifecycle.Active}, nil
	})
	env.queueRecorder()
	env.ExecuteWorkflow(Renewal, RenewalInput{TenantID: tenantID, PeriodEnd: day0, Policy: DefaultPolicy()})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []time.Duration{0, 1 * day, 3 * day}, env.at["charge"])
	assert.Equal(t, []time.Duration{3 * day}, env.at["reactivate"])
}

func TestOffboardingArchivesAfterRetentionAndWarnsUnpaidFirst(t *testing.T) {
	env := newLifecycleEnv()
	since := day0.Add(-20 * day)
	env.OnActivity(life.State, mock.Anything, tenantID).Return(activities.TenantState{Status: lifecycle.Suspended, Exists: true,
		SuspensionReason: lifecycle.ReasonPaymentOverdue, SuspendedAt: &since}, nil)
	env.OnActivity(life.Cancel, mock.Anything, mock.Anything).Return(func(context.Context, activities.CancelInput) (bool, error) {
		env.mark("cancel")
		return true, nil
	})
	env.OnActivity(life.Backup, mock.Anything, tenantID).Return(func(context.Context, uuid.UUID) (bool, error) {
		env.mark("backup")
		return true, nil
	})
	env.OnActivity(life.Archive, mock.Anything, tenantID).Return(func(context.Context, uuid.UUID) error {
		env.mark("archive")
		return nil
	})
	env.queueRecorder()
	env.ExecuteWorkflow(Offboarding, OffboardingInput{TenantID: tenantID, Reason: OffboardUnpaid, SuspendedAt: &since, Actor: "test", Policy: DefaultPolicy()})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []time.Duration{0}, env.at["offboarding_warning"])
	assert.Equal(t, []time.Duration{2 * day}, env.at["cancel"])
	assert.Equal(t, []time.Duration{32 * day}, env.at["backup"], "30 days of retention after cancelling")
	assert.Equal(t, []time.Duration{32 * day}, env.at["archive"])
}

func TestOffboardingKeepsATenantReactivatedDuringRetention(t *testing.T) {
	env := newLifecycleEnv()
	env.OnActivity(life.Cancel, mock.Anything, mock.Anything).Return(true, nil)
	env.OnActivity(life.Backup, mock.Anything, tenantID).Return(false, nil) // no longer cancelled
	env.queueRecorder()
	env.ExecuteWorkflow(Offboarding, OffboardingInput{TenantID: tenantID, Reason: OffboardRequested, Actor: "test", Policy: DefaultPolicy()})
	require.NoError(t, env.GetWorkflowError())
	var res OffboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "kept", res.Outcome)
	env.AssertNotCalled(t, "Archive", mock.Anything, mock.Anything)
}

func TestSweepPagesContinuesAsNewAndCountsStarts(t *testing.T) {
	env := newLifecycleEnv()
	env.RegisterWorkflow(TrialEnd)
	pages := 0
	env.OnActivity(sweeps.Due, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DueInput) (activities.DuePage, error) {
		pages++
		if pages > pagesPerRun {
			return activities.DuePage{Last: true}, nil
		}
		ts := []activities.DueTenant{{ID: uuid.New(), Due: day0}}
		return activities.DuePage{Tenants: ts, Next: activities.Cursor{Due: day0, ID: ts[0].ID}}, nil
	})
	env.OnWorkflow(TrialEnd, mock.Anything, mock.Anything).Return(&TrialEndResult{Outcome: "none"}, nil)
	marked := 0
	env.OnActivity(sweeps.MarkStarted, mock.Anything, mock.Anything).Return(func(_ context.Context, ids []uuid.UUID) error {
		marked += len(ids)
		return nil
	})
	env.ExecuteWorkflow(Sweep, SweepInput{Name: SweepTrials, Policy: DefaultPolicy()})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "continue as new", "after a bounded number of pages")
	assert.Equal(t, pagesPerRun, pages)
	assert.Equal(t, pagesPerRun, marked, "every started trial end is recorded")
}

func TestUnpaidOffboardingLeavesAnOperatorsSuspensionAndAPaidTenant(t *testing.T) {
	since := day0.Add(-20 * day)
	for name, st := range map[string]activities.TenantState{
		"an operator's suspension": {Status: lifecycle.Suspended, SuspensionReason: "legal hold", SuspendedAt: &since, Exists: true},
		"paid since":               {Status: lifecycle.Active, Exists: true},
		"suspended again since":    {Status: lifecycle.Suspended, SuspensionReason: lifecycle.ReasonPaymentOverdue, SuspendedAt: &day0, Exists: true},
	} {
		env := newLifecycleEnv()
		env.OnActivity(life.State, mock.Anything, tenantID).Return(st, nil)
		env.queueRecorder()
		env.ExecuteWorkflow(Offboarding, OffboardingInput{TenantID: tenantID, Reason: OffboardUnpaid, SuspendedAt: &since, Actor: "test", Policy: DefaultPolicy()})
		require.NoError(t, env.GetWorkflowError(), name)
		var res OffboardingResult
		require.NoError(t, env.GetWorkflowResult(&res), name)
		assert.Equal(t, "kept", res.Outcome, name)
		assert.Empty(t, env.at["offboarding_warning"], name)
	}
}
