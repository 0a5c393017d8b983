package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/lifecycle"
)

func upgradeQuote() activities.Quote {
	start, end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	return activities.Quote{
		Direction: billing.Upgrade, EffectiveAt: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), Currency: "USD",
		Before: activities.PlanState{Plan: "starter", Cycle: "monthly", Status: lifecycle.Active, PeriodStart: &start, PeriodEnd: &end},
		After:  activities.PlanState{Plan: "professional", Cycle: "monthly", Status: lifecycle.Active, PeriodStart: &start, PeriodEnd: &end},
		Lines:  []billing.Line{{AmountCents: -2450}, {AmountCents: 9950}}, NetCents: 7500,
	}
}

var invoiceID = uuid.MustParse("00000000-0000-0000-0000-0000000000aa")

// newPlanEnv mocks every activity of a successful upgrade; overrides win.
func newPlanEnv(quote activities.Quote, overrides ...override) (*testsuite.TestWorkflowEnvironment, *[]string) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Plans{})
	env.RegisterActivity(&activities.Databases{})
	env.RegisterActivity(&activities.Billing{})
	env.RegisterActivity(&activities.Notifications{})
	calls := &[]string{}
	for _, o := range overrides {
		o(env, calls)
	}
	record := func(name string) func(mock.Arguments) { return func(mock.Arguments) { *calls = append(*calls, name) } }
	env.OnActivity(plans.Quote, mock.Anything, mock.Anything).Return(quote, nil).Run(record("quote")).Maybe()
	env.OnActivity(dbs.CheckFit, mock.Anything, mock.Anything).Return(nil).Run(record("check_fit")).Maybe()
	env.OnActivity(plans.Apply, mock.Anything, mock.Anything).Return(nil).Run(record("apply")).Maybe()
	env.OnActivity(plans.Schedule, mock.Anything, mock.Anything).Return(nil).Run(record("schedule")).Maybe()
	env.OnActivity(plans.Hold, mock.Anything, mock.Anything).Return(nil).Run(record("hold")).Maybe()
	env.OnActivity(plans.Release, mock.Anything, mock.Anything).Return(nil).Run(record("release")).Maybe()
	env.OnActivity(bill.CreateInvoice, mock.Anything, mock.Anything).Return(activities.InvoiceRef{ID: invoiceID, Number: "INV-2026-000001", Status: "draft", TotalCents: 7500}, nil).Run(record("create_invoice")).Maybe()
	env.OnActivity(bill.FinalizeInvoice, mock.Anything, invoiceID).Return(nil).Run(record("finalize")).Maybe()
	env.OnActivity(bill.Charge, mock.Anything, mock.Anything).Return(activities.ChargeResult{Paid: true}, nil).Run(record("charge")).Maybe()
	env.OnActivity(bill.VoidInvoice, mock.Anything, invoiceID).Return(nil).Run(record("void")).Maybe()
	env.OnActivity(notif.Queue, mock.Anything, mock.Anything).Return([]string{"k"}, nil).Run(record("notify")).Maybe()
	env.OnActivity(notif.Deliver, mock.Anything, "k").Return("sent", nil).Maybe()
	return env, calls
}

var changeInput = ChangePlanInput{TenantID: tenantID, PlanCode: "professional", Actor: "test"}

func TestChangePlanUpgradeAppliesInvoicesChargesAndTells(t *testing.T) {
	env, calls := newPlanEnv(upgradeQuote())
	env.ExecuteWorkflow(ChangePlan, changeInput)
	require.NoError(t, env.GetWorkflowError())
	var res ChangePlanResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, invoiceID, *res.InvoiceID)
	assert.Equal(t, "upgrade", res.Direction)
	assert.Equal(t, []string{"quote", "hold", "create_invoice", "finalize", "charge", "apply", "notify", "release"}, *calls,
		"charged, then granted")
}

func TestChangePlanDeclineVoidsTheInvoiceAndGrantsNothing(t *testing.T) {
	env, calls := newPlanEnv(upgradeQuote(), func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(bill.Charge, mock.Anything, mock.Anything).Return(func(context.Context, activities.ChargeInput) (activities.ChargeResult, error) {
			*calls = append(*calls, "charge")
			return activities.ChargeResult{Paid: false, FailureCode: "card_declined", FailureMessage: "Your card was declined."}, nil
		})
	})
	env.ExecuteWorkflow(ChangePlan, changeInput)
	require.NoError(t, env.GetWorkflowError(), "a declined change completes, turned down")
	var res ChangePlanResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.NotNil(t, res.Rejected)
	assert.Equal(t, activities.ErrPaymentFailed, res.Rejected.Type)
	assert.Equal(t, "card_declined", res.Rejected.Details["failure_code"])
	assert.Equal(t, []string{"quote", "hold", "create_invoice", "finalize", "charge", "void", "release"}, *calls)
}

func TestChangePlanScheduledDowngradeChecksFitAndChargesNothing(t *testing.T) {
	qt := upgradeQuote()
	qt.Direction, qt.Scheduled, qt.CheckFit, qt.Lines, qt.NetCents = billing.Downgrade, true, true, nil, 0
	qt.After = activities.PlanState{Plan: "starter", Cycle: "monthly"}
	env, calls := newPlanEnv(qt)
	env.ExecuteWorkflow(ChangePlan, changeInput)
	require.NoError(t, env.GetWorkflowError())
	var res ChangePlanResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.True(t, res.Scheduled)
	assert.Nil(t, res.InvoiceID)
	assert.Equal(t, []string{"quote", "check_fit", "schedule", "notify"}, *calls)
}

func TestChangePlanThatDoesNotFitChangesNothing(t *testing.T) {
	qt := upgradeQuote()
	qt.Direction, qt.CheckFit = billing.Downgrade, true
	env, calls := newPlanEnv(qt, func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(dbs.CheckFit, mock.Anything, mock.Anything).Return(
			temporal.NewNonRetryableApplicationError("current usage does not fit plan starter", activities.ErrInvalidInput, nil))
	})
	env.ExecuteWorkflow(ChangePlan, changeInput)
	require.NoError(t, env.GetWorkflowError())
	var res ChangePlanResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, activities.ErrInvalidInput, res.Rejected.Type)
	assert.Equal(t, []string{"quote"}, *calls)
}

func TestChangePlanImmediateDowngradeCreditsWithoutInvoice(t *testing.T) {
	qt := upgradeQuote()
	qt.Direction, qt.CheckFit = billing.Downgrade, true
	qt.Lines, qt.NetCents = []billing.Line{{AmountCents: -9950}, {AmountCents: 2450}}, -7500
	env, calls := newPlanEnv(qt)
	env.ExecuteWorkflow(ChangePlan, changeInput)
	require.NoError(t, env.GetWorkflowError())
	var res ChangePlanResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, int64(7500), res.CreditCents)
	assert.Nil(t, res.InvoiceID)
	assert.Equal(t, []string{"quote", "check_fit", "hold", "apply", "notify", "release"}, *calls)
}
