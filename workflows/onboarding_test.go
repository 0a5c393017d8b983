package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/tenantdb"
)

var tenantID = uuid.MustParse("6bce1cd9-78ee-4e18-b93c-6df97916eaa2")

func onboardingInput() OnboardingInput {
	return OnboardingInput{RegisterInput: activities.RegisterInput{
		TenantID: tenantID, TenantCode: "acme", Name: "Acme", Subdomain: "acme", AdminEmail: "ana@acme.example.com",
		AdminName: "Ana", PlanCode: "trial", BillingCycle: "monthly", Actor: "test",
	}}
}

var placement = activities.Placement{Server: tenantdb.Server{Host: "127.0.0.1", Port: 5432}, Database: tenantdb.Name(tenantID)}
var provisionInput = activities.ProvisionInput{TenantID: tenantID, CompanyName: "Acme", AdminEmail: "ana@acme.example.com", AdminName: "Ana"}

type override func(env *testsuite.TestWorkflowEnvironment, calls *[]string)

// callsMu guards the calls a test records: steps run side by side (the
// database and the billing customer, the welcome and the trial).
var callsMu sync.Mutex

// appendCall records that a step ran; overrides record through it too.
func appendCall(calls *[]string, name string) {
	callsMu.Lock()
	defer callsMu.Unlock()
	*calls = append(*calls, name)
}

// newEnv registers the activities and mocks a successful run of every step.
// Overrides are mocked first, so they win over the defaults; calls records the order.
func newEnv(overrides ...override) (*testsuite.TestWorkflowEnvironment, *[]string) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Tenants{})
	env.RegisterActivity(&activities.Databases{})
	env.RegisterActivity(&activities.Billing{})
	env.RegisterActivity(&activities.Notifications{})
	calls := &[]string{}
	for _, o := range overrides {
		o(env, calls)
	}
	record := func(name string) func(mock.Arguments) {
		return func(mock.Arguments) { appendCall(calls, name) }
	}
	env.OnActivity(tenants.Register, mock.Anything, onboardingInput().RegisterInput).Return(activities.RegisterResult{TrialDays: 14}, nil).Run(record("register")).Maybe()
	env.OnActivity(dbs.Provision, mock.Anything, provisionInput).Return(activities.Provisioned{Placement: placement}, nil).Run(record("provision")).Maybe()
	env.OnActivity(bill.CreateCustomer, mock.Anything, mock.Anything).Return("cus_1", nil).Run(record("create_customer")).Maybe()
	env.OnActivity(notif.QueueWelcome, mock.Anything, mock.Anything).Return([]string{"k/email"}, nil).Run(record("queue_welcome")).Maybe()
	env.OnActivity(notif.Deliver, mock.Anything, "k/email").Return("sent", nil).Run(record("deliver")).Maybe()
	ends := time.Date(2026, 12, 13, 0, 0, 0, 0, time.UTC)
	env.OnActivity(tenants.Activate, mock.Anything, mock.Anything).Return(activities.ActivateResult{Status: "trial", TrialEndsAt: &ends}, nil).Run(record("activate")).Maybe()
	env.OnActivity(dbs.DropPlaced, mock.Anything, tenantID).Return(nil).Run(record("drop")).Maybe()
	env.OnActivity(bill.RemoveCustomer, mock.Anything, mock.Anything).Return(nil).Run(record("remove_customer")).Maybe()
	env.OnActivity(tenants.MarkFailed, mock.Anything, mock.Anything).Return(nil).Run(record("mark_failed")).Maybe()
	return env, calls
}

// sendRegistered delivers the registered update as the API does, recording its answer.
func sendRegistered(env *testsuite.TestWorkflowEnvironment, got *error, answered *bool) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(OnboardingRegisteredUpdate, "u1", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { *got, *answered = err, true },
			OnComplete: func(_ any, err error) {
				*got, *answered = err, true
			},
		})
	}, 0)
}

func TestOnboardingHappyPath(t *testing.T) {
	env, calls := newEnv()
	var updateErr error
	var answered bool
	sendRegistered(env, &updateErr, &answered)
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res OnboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, lifecycle.Trial, res.Status)
	assert.Equal(t, tenantdb.Name(tenantID), res.Database)
	assert.True(t, answered)
	assert.NoError(t, updateErr)

	v, err := env.QueryWorkflow(OnboardingProgressQuery)
	require.NoError(t, err)
	var p OnboardingProgress
	require.NoError(t, v.Get(&p))
	assert.Equal(t, StepDone, p.Step)
	assert.Equal(t, OnboardingSteps, p.Done)
	require.Len(t, *calls, 6)
	assert.Equal(t, "register", (*calls)[0])
	assert.ElementsMatch(t, []string{"provision", "create_customer"}, (*calls)[1:3], "the database and the billing customer are made side by side")
	assert.ElementsMatch(t, []string{"queue_welcome", "activate", "deliver"}, (*calls)[3:], "the welcome is queued and delivered while the trial starts")
	assert.Less(t, slices.Index(*calls, "queue_welcome"), slices.Index(*calls, "deliver"))
	env.AssertExpectations(t)
}

func TestOnboardingProvisionFailureUndoesBothSidesAndMarksFailed(t *testing.T) {
	var failed activities.FailInput
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(dbs.Provision, mock.Anything, mock.Anything).Return(activities.Provisioned{},
			temporal.NewNonRetryableApplicationError("boom", activities.ErrInconsistency, nil)).
			Run(func(mock.Arguments) { appendCall(calls, "provision") })
		env.OnActivity(tenants.MarkFailed, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FailInput) error {
			failed = in
			appendCall(calls, "mark_failed")
			return nil
		})
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.True(t, env.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	assert.Equal(t, activities.ErrInconsistency, appErr.Type())
	require.Len(t, *calls, 6)
	assert.ElementsMatch(t, []string{"provision", "create_customer"}, (*calls)[1:3])
	assert.Equal(t, []string{"remove_customer", "drop", "mark_failed"}, (*calls)[3:], "both sides are undone, in reverse, once both ended")
	assert.Equal(t, tenantID, failed.TenantID)
	assert.Equal(t, "provision_database: boom", failed.Reason)

	v, err := env.QueryWorkflow(OnboardingProgressQuery)
	require.NoError(t, err)
	var p OnboardingProgress
	require.NoError(t, v.Get(&p))
	assert.Equal(t, StepFailed, p.Step)
	assert.Equal(t, "provision_database: boom", p.Error)
}

func TestOnboardingBillingFailureIsNamedAndUndoesTheDatabaseToo(t *testing.T) {
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(bill.CreateCustomer, mock.Anything, mock.Anything).Return("",
			temporal.NewNonRetryableApplicationError("card network says no", activities.ErrRejected, nil)).
			Run(func(mock.Arguments) { appendCall(calls, "create_customer") })
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.Error(t, env.GetWorkflowError())
	assert.Equal(t, []string{"remove_customer", "drop", "mark_failed"}, (*calls)[len(*calls)-3:])
	v, err := env.QueryWorkflow(OnboardingProgressQuery)
	require.NoError(t, err)
	var p OnboardingProgress
	require.NoError(t, v.Get(&p))
	assert.Equal(t, "billing_customer: card network says no", p.Error)
	assert.Equal(t, []string{StepRegister, StepProvision}, p.Done)
}

func TestOnboardingActivateFailureUndoesEveryStepInReverse(t *testing.T) {
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, _ *[]string) {
		env.OnActivity(tenants.Activate, mock.Anything, mock.Anything).Return(activities.ActivateResult{},
			temporal.NewNonRetryableApplicationError("no", activities.ErrInvalidInput, nil))
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.Error(t, env.GetWorkflowError())
	undone := slices.DeleteFunc(slices.Clone(*calls), func(c string) bool { return c == "deliver" }) // delivery runs alongside
	assert.Equal(t, []string{"remove_customer", "drop", "mark_failed"}, undone[len(undone)-3:])
}

func TestOnboardingUndoesAStepThatTimedOutAfterItsSideEffect(t *testing.T) {
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, _ *[]string) {
		env.OnActivity(dbs.Provision, mock.Anything, mock.Anything).Return(activities.Provisioned{},
			temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil))
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.Error(t, env.GetWorkflowError())
	assert.Equal(t, []string{"drop", "mark_failed"}, (*calls)[len(*calls)-2:], "the database a timed-out attempt may have made is dropped")
}

func TestOnboardingRegistrationConflictAnswersTheUpdateAndStops(t *testing.T) {
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, _ *[]string) {
		env.OnActivity(tenants.Register, mock.Anything, mock.Anything).Return(activities.RegisterResult{},
			temporal.NewNonRetryableApplicationError("subdomain is already taken", activities.ErrConflict, nil))
	})
	var updateErr error
	var answered bool
	sendRegistered(env, &updateErr, &answered)
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.True(t, answered)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(updateErr, &appErr), "update error: %v", updateErr)
	assert.Equal(t, activities.ErrConflict, appErr.Type())
	assert.Equal(t, "subdomain is already taken", appErr.Message())
	require.NoError(t, env.GetWorkflowError(), "a turned-down signup completes: it is no failure to alert on")
	var res OnboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.NotNil(t, res.Rejected)
	assert.Equal(t, activities.ErrConflict, res.Rejected.Type)
	assert.Empty(t, *calls, "nothing may run after a rejected registration")
}

func TestOnboardingUndeliveredWelcomeDoesNotFailTheTenant(t *testing.T) {
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, _ *[]string) {
		env.OnActivity(notif.Deliver, mock.Anything, "k/email").Return("", temporal.NewNonRetryableApplicationError("bad address", activities.ErrRejected, nil))
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.NoError(t, env.GetWorkflowError())
	assert.NotContains(t, *calls, "drop")
	assert.NotContains(t, *calls, "mark_failed")
}

// TestOnboardingWhoseWelcomeCannotBeQueuedKeepsTheReadyTenant: the welcome is
// queued beside the trial's start; failing to queue it is logged, and the
// tenant's ready database is not undone for it.
func TestOnboardingWhoseWelcomeCannotBeQueuedKeepsTheReadyTenant(t *testing.T) {
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, _ *[]string) {
		env.OnActivity(notif.QueueWelcome, mock.Anything, mock.Anything).Return(nil,
			temporal.NewNonRetryableApplicationError("no template", activities.ErrInvalidInput, nil))
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res OnboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, lifecycle.Trial, res.Status)
	assert.Contains(t, *calls, "activate")
	assert.NotContains(t, *calls, "drop")
	assert.NotContains(t, *calls, "mark_failed")
}

func TestOnboardingRefusesInputWithoutTenant(t *testing.T) {
	env, _ := newEnv()
	in := onboardingInput()
	in.TenantID = uuid.Nil
	env.ExecuteWorkflow(Onboarding, in)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr))
	assert.Equal(t, activities.ErrInvalidInput, appErr.Type())
}

// TestOnboardingGoesOnAsAnActivityWhenTheLocalAttemptFails: the database's
// first attempt runs inside the workflow task; when it fails for a reason that
// may pass, the step is not failed but handed to an ordinary activity, whose
// retries operators see, and the tenant is onboarded.
func TestOnboardingGoesOnAsAnActivityWhenTheLocalAttemptFails(t *testing.T) {
	var attempts atomic.Int32 // the local attempt runs beside the billing customer's
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(dbs.Provision, mock.Anything, provisionInput).Return(
			func(context.Context, activities.ProvisionInput) (activities.Provisioned, error) {
				if attempts.Add(1) == 1 {
					return activities.Provisioned{}, errors.New("connection refused")
				}
				return activities.Provisioned{Placement: placement}, nil
			})
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res OnboardingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, lifecycle.Trial, res.Status)
	assert.Equal(t, int32(2), attempts.Load(), "one local attempt, then the activity")
	assert.NotContains(t, *calls, "drop", "nothing is undone")
}

// TestOnboardingRefusedLocallyIsNotRetried: a refusal in the local attempt
// (non-retryable) fails the step at once, as an activity's would.
func TestOnboardingRefusedLocallyIsNotRetried(t *testing.T) {
	var attempts atomic.Int32
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(dbs.Provision, mock.Anything, provisionInput).Return(
			func(context.Context, activities.ProvisionInput) (activities.Provisioned, error) {
				attempts.Add(1)
				return activities.Provisioned{}, temporal.NewNonRetryableApplicationError("no server has room", activities.ErrInvalidInput, nil)
			})
	})
	env.ExecuteWorkflow(Onboarding, onboardingInput())

	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError())
	assert.Equal(t, int32(1), attempts.Load())
	assert.Contains(t, *calls, "mark_failed")
}

// TestOnboardingOfATenantItsStarterRegisteredDoesNotRegisterItAgain: the API
// registers a signup in its own transaction and says so in the input; the
// run takes the plan's trial days from it and goes straight to the database.
func TestOnboardingOfATenantItsStarterRegisteredDoesNotRegisterItAgain(t *testing.T) {
	var welcome activities.WelcomeInput
	env, calls := newEnv(func(env *testsuite.TestWorkflowEnvironment, calls *[]string) {
		env.OnActivity(notif.QueueWelcome, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.WelcomeInput) ([]string, error) {
				welcome = in
				return []string{"k/email"}, nil
			})
	})
	in := onboardingInput()
	in.Registered = &activities.RegisterResult{TrialDays: 21}
	env.ExecuteWorkflow(Onboarding, in)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.NotContains(t, *calls, "register")
	assert.Equal(t, 21, welcome.TrialDays, "the welcome tells the trial the registration found")
	v, err := env.QueryWorkflow(OnboardingProgressQuery)
	require.NoError(t, err)
	var p OnboardingProgress
	require.NoError(t, v.Get(&p))
	assert.Equal(t, OnboardingSteps, p.Done)
}
