// Package workflows holds landlord's Temporal workflows, one per file.
package workflows

import (
	"errors"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
)

// Names of the onboarding workflow's update and query.
const (
	// OnboardingRegisteredUpdate answers once the tenant row exists (or could not be written).
	OnboardingRegisteredUpdate = "registered"
	// OnboardingProgressQuery answers an OnboardingProgress.
	OnboardingProgressQuery = "progress"
)

// Onboarding steps, in the order they run.
const (
	StepRegister        = "register"
	StepProvision       = "provision_database" // place, create role and database (or claim a pooled one), seed
	StepPlace           = "place"
	StepCreateRole      = "create_role"
	StepCreateDatabase  = "create_database"
	StepSeed            = "seed_tenant"
	StepBillingCustomer = "billing_customer"
	StepWelcome         = "welcome"
	StepActivate        = "activate"
	StepDone            = "done"
	StepFailed          = "failed"
)

// OnboardingSteps lists every step of a successful onboarding, in order
// (the database and the billing customer are made side by side).
var OnboardingSteps = []string{StepRegister, StepProvision, StepBillingCustomer, StepWelcome, StepActivate}

// OnboardingInput is the tenant to onboard.
type OnboardingInput struct {
	activities.RegisterInput
	// Registered is set by a starter that registered the tenant itself, in
	// its own transaction, before it started the run (the API does): the run
	// does not register it again. Without it the run registers the tenant
	// first (an idempotent step: a registered tenant is found, not doubled).
	Registered *activities.RegisterResult `json:",omitempty"`
}

// OnboardingResult is the onboarded tenant.
type OnboardingResult struct {
	TenantID    uuid.UUID
	Status      lifecycle.Status
	TrialEndsAt *time.Time
	Database    string
	Rejected    *Rejection // turned down before anything was written, e.g. a taken subdomain
}

// OnboardingProgress is the answer of the progress query.
type OnboardingProgress struct {
	Step  string   `json:"step"`
	Done  []string `json:"done"`
	Error string   `json:"error,omitempty"`
}

// RegisteredResult is the answer of the registered update.
type RegisteredResult struct {
	TenantID uuid.UUID
}

// OnboardingWorkflowID is the workflow ID of a tenant's onboarding.
func OnboardingWorkflowID(tenantID uuid.UUID) string { return "onboarding/" + tenantID.String() }

// onboardingTaskTimeout bounds one workflow task of an onboarding. Its steps
// run as local activities inside a task, so it is also how soon another
// worker takes over an onboarding whose worker died mid-step (a longer step
// keeps its task alive by completing it every 80% of this).
const onboardingTaskTimeout = 3 * time.Second

// OnboardingStartOptions start a registered tenant's onboarding: eagerly when
// the starting process runs a worker, never beside a running one, and again
// only for a tenant still provisioning (the callers' condition), for which no
// run can have finished but one that was terminated or turned down.
func OnboardingStartOptions(tenantID uuid.UUID, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       OnboardingWorkflowID(tenantID),
		TaskQueue:                taskQueue,
		EnableEagerStart:         true,
		WorkflowTaskTimeout:      onboardingTaskTimeout,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
}

// Onboarding takes a tenant from signup to a ready database with its default
// company, admin user, billing customer, welcome message and trial. A
// non-retryable failure undoes every finished step and leaves the tenant failed.
func Onboarding(ctx workflow.Context, in OnboardingInput) (*OnboardingResult, error) {
	o := &onboarding{in: in}
	if err := o.setup(ctx); err != nil {
		return nil, err
	}
	// Runs recorded before the coarse steps replay the steps they ran.
	o.coarse = workflow.GetVersion(ctx, "coarse-steps", workflow.DefaultVersion, 1) == 1
	run := o.runStepByStep
	if o.coarse {
		run = o.run
	}
	res, err := run(ctx)
	// The registered update may still be answering: let it finish before the run closes.
	if aerr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); aerr != nil && err == nil {
		err = aerr
	}
	// A signup turned down before anything was written (a taken name) is answered, not failed.
	if r, ok := AsRejection(o.registerErr); ok && (o.coarse || workflow.GetVersion(ctx, "rejections-complete", workflow.DefaultVersion, 1) == 1) {
		return &OnboardingResult{TenantID: o.in.TenantID, Rejected: r}, nil
	}
	return res, err
}

type onboarding struct {
	in       OnboardingInput
	log      log.Logger
	progress OnboardingProgress

	coarse      bool // this run takes the coarse steps (run), not those of runStepByStep
	registered  bool
	registerErr error
	trialDays   int
}

func (o *onboarding) setup(ctx workflow.Context) error {
	if o.in.TenantID == uuid.Nil || o.in.Subdomain == "" || o.in.PlanCode == "" {
		return temporal.NewNonRetryableApplicationError("onboarding needs a tenant id, subdomain and plan", activities.ErrInvalidInput, nil)
	}
	o.log = log.With(workflow.GetLogger(ctx), "tenant", o.in.TenantID.String())
	o.progress = OnboardingProgress{Step: StepRegister, Done: []string{}}
	if err := workflow.SetQueryHandler(ctx, OnboardingProgressQuery, func() (OnboardingProgress, error) {
		return o.progress, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandler(ctx, OnboardingRegisteredUpdate, func(ctx workflow.Context) (RegisteredResult, error) {
		if err := workflow.Await(ctx, func() bool { return o.registered }); err != nil {
			return RegisteredResult{}, err
		}
		if o.registerErr != nil {
			var appErr *temporal.ApplicationError
			if errors.As(o.registerErr, &appErr) {
				return RegisteredResult{}, temporal.NewApplicationError(appErr.Message(), appErr.Type())
			}
			return RegisteredResult{}, o.registerErr
		}
		return RegisteredResult{TenantID: o.in.TenantID}, nil
	})
}

// run is the business story: register the tenant; make its database (placed,
// claimed from the warm pool or built, seeded) and its billing customer side by
// side; queue the welcome while the trial starts, and deliver it. The short
// steps on landlord's own database are local activities (a marker each in the
// history, no round trip through Temporal's task queues); the database and
// the billing customer are activities of their own, each a unit of retry with
// its own compensation, deferred before it starts (its effect may outlive a
// timeout) and run in reverse on failure.
func (o *onboarding) run(ctx workflow.Context) (res *OnboardingResult, err error) {
	if err = o.registerWith(ctx, true); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			o.fail(ctx, err)
		}
	}()

	// Runs recorded before it make the database and the customer as activities from the start.
	localFirst := workflow.GetVersion(ctx, "local-first", workflow.DefaultVersion, 1) == 1
	o.progress.Step = StepProvision
	provisionIn := activities.ProvisionInput{TenantID: o.in.TenantID, CompanyName: o.in.Name, AdminEmail: o.in.AdminEmail, AdminName: o.in.AdminName}
	defer o.compensate(ctx, &err, "drop tenant database and role", dbs.DropPlaced, o.in.TenantID)
	provision := o.durable(ctx, localFirst, alive(2*time.Minute, 30*time.Minute), dbs.Provision, provisionIn)
	customer := activities.CustomerInput{TenantID: o.in.TenantID, Email: o.in.AdminEmail, Name: o.in.Name}
	defer o.compensate(ctx, &err, "remove billing customer", bill.RemoveCustomer, customer)
	created := o.durable(ctx, localFirst, alive(30*time.Second, 30*time.Minute), bill.CreateCustomer, customer)
	var placed activities.Provisioned
	// Both are waited for before either is undone, so no undo races its step;
	// a failure names the step that failed.
	perr, cerr := provision.Get(ctx, &placed), created.Get(ctx, nil)
	if perr != nil {
		return nil, perr
	}
	o.progress.Done = append(o.progress.Done, StepProvision)
	if cerr != nil {
		o.progress.Step = StepBillingCustomer
		return nil, cerr
	}
	o.progress.Done = append(o.progress.Done, StepBillingCustomer)

	// Runs recorded before it queue the welcome first and start the trial after.
	beside := workflow.GetVersion(ctx, "welcome-beside-trial", workflow.DefaultVersion, 1) == 1
	o.progress.Step = StepWelcome
	lctx := workflow.WithLocalActivityOptions(ctx, localOpts(10*time.Second, 30*time.Minute))
	activate := activities.ActivateInput{TenantID: o.in.TenantID, Now: workflow.Now(ctx), Actor: o.in.Actor}
	var act activities.ActivateResult
	var activated workflow.Future
	if beside {
		activated = workflow.ExecuteLocalActivity(lctx, tenants.Activate, activate)
	}
	var keys []string
	if err = workflow.ExecuteLocalActivity(lctx, notif.QueueWelcome, o.welcome()).Get(ctx, &keys); err != nil {
		if !beside {
			return nil, err
		}
		// The tenant's database is ready: a welcome that cannot be queued is
		// no reason to undo it (as a welcome that cannot be delivered is not).
		o.log.Error("welcome not queued", "error", err)
	}
	o.progress.Done = append(o.progress.Done, StepWelcome)
	// The welcome is delivered while the trial starts; a provider outage does not hold the tenant back.
	dctx := workflow.WithLocalActivityOptions(ctx, localOpts(30*time.Second, time.Hour))
	delivered := make([]workflow.Future, 0, len(keys))
	for _, key := range keys {
		delivered = append(delivered, workflow.ExecuteLocalActivity(dctx, notif.Deliver, key))
	}
	o.progress.Step = StepActivate
	if !beside {
		activated = workflow.ExecuteLocalActivity(lctx, tenants.Activate, activate)
	}
	if err = activated.Get(ctx, &act); err != nil {
		return nil, err
	}
	o.progress.Done = append(o.progress.Done, StepActivate)
	o.awaitDelivery(ctx, delivered)
	o.progress.Step = StepDone
	return &OnboardingResult{TenantID: o.in.TenantID, Status: act.Status, TrialEndsAt: act.TrialEndsAt, Database: placed.Database}, nil
}

// localAttemptLimit bounds the local first attempt of an onboarding step:
// a slower step goes on as an ordinary activity, which heartbeats and leaves
// the workflow free to answer its progress query at once.
const localAttemptLimit = 5 * time.Second

// durable runs an activity of the onboarding. With localFirst its first
// attempt is a local activity, in the workflow task that is already running
// (no round trip through Temporal's task queues: a signup runs in one task);
// a first attempt that fails for a reason that may pass, or takes longer than
// localAttemptLimit, goes on as an ordinary activity with ao's retries, each
// visible to operators (see the onboarding's "retrying"). A refusal ends it as
// it would any activity. Each step is idempotent, so running it again after a
// cut-short attempt leaves one result.
func (o *onboarding) durable(ctx workflow.Context, localFirst bool, ao workflow.ActivityOptions, activity, arg any) workflow.Future {
	if !localFirst {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), activity, arg)
	}
	f, settable := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		once := workflow.LocalActivityOptions{StartToCloseTimeout: min(ao.StartToCloseTimeout, localAttemptLimit),
			RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}}
		first := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, once), activity, arg)
		err := first.Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) {
			settable.Chain(first)
			return
		}
		o.log.Warn("first attempt failed; retrying as an activity", "error", err)
		settable.Chain(workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), activity, arg))
	})
	return f
}

// runStepByStep is the onboarding of runs recorded before the coarse steps:
// register, place, create role and database, seed, create the billing
// customer, welcome, start the trial, one activity each. Kept so such runs
// replay; no new run takes it.
func (o *onboarding) runStepByStep(ctx workflow.Context) (res *OnboardingResult, err error) {
	if err = o.register(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			o.fail(ctx, err)
		}
	}()

	// Runs recorded before compensations were registered ahead of their steps keep the old order.
	early := workflow.GetVersion(ctx, "compensate-before-step", workflow.DefaultVersion, 1) == 1

	var placement activities.Placement
	if err = o.step(ctx, StepPlace, alive(10*time.Second, 10*time.Minute), tenants.Place, o.in.TenantID, &placement); err != nil {
		return nil, err
	}
	ref := activities.DatabaseRef{TenantID: o.in.TenantID, Server: placement.Server}

	// The role may exist even if its step then times out: its undo is registered first.
	if early {
		defer o.compensate(ctx, &err, "drop tenant database and role", dbs.Drop, ref)
	}
	if err = o.step(ctx, StepCreateRole, alive(30*time.Second, 30*time.Minute), dbs.CreateRole, ref, nil); err != nil {
		return nil, err
	}
	if !early {
		defer o.compensate(ctx, &err, "drop tenant database and role", dbs.Drop, ref)
	}

	if err = o.step(ctx, StepCreateDatabase, alive(2*time.Minute, 30*time.Minute), dbs.CreateDatabase, ref, nil); err != nil {
		return nil, err
	}
	seed := activities.SeedInput{Ref: ref, CompanyName: o.in.Name, AdminEmail: o.in.AdminEmail, AdminName: o.in.AdminName}
	if err = o.step(ctx, StepSeed, alive(15*time.Second, 30*time.Minute), dbs.Seed, seed, nil); err != nil {
		return nil, err
	}

	var customerID string
	customer := activities.CustomerInput{TenantID: o.in.TenantID, Email: o.in.AdminEmail, Name: o.in.Name}
	if early {
		defer o.compensate(ctx, &err, "remove billing customer", bill.RemoveCustomer, customer)
	}
	if err = o.step(ctx, StepBillingCustomer, alive(30*time.Second, 30*time.Minute), bill.CreateCustomer, customer, &customerID); err != nil {
		return nil, err
	}
	if !early {
		defer o.compensate(ctx, &err, "delete billing customer", bill.DeleteCustomer, customerID)
	}

	delivered, err := o.queueWelcome(ctx)
	if err != nil {
		return nil, err
	}

	var act activities.ActivateResult
	activate := activities.ActivateInput{TenantID: o.in.TenantID, Now: workflow.Now(ctx), Actor: o.in.Actor}
	if err = o.step(ctx, StepActivate, alive(10*time.Second, 30*time.Minute), tenants.Activate, activate, &act); err != nil {
		return nil, err
	}
	o.awaitDelivery(ctx, delivered)
	o.progress.Step = StepDone
	return &OnboardingResult{TenantID: o.in.TenantID, Status: act.Status, TrialEndsAt: act.TrialEndsAt, Database: placement.Database}, nil
}

// register writes the tenant row and releases the registered update.
func (o *onboarding) register(ctx workflow.Context) error { return o.registerWith(ctx, false) }

// registerWith is register, as a local activity when asked.
func (o *onboarding) registerWith(ctx workflow.Context, local bool) error {
	var res activities.RegisterResult
	var err error
	if o.in.Registered != nil { // the input, and so the history, says so: replays take the same path
		res = *o.in.Registered
		o.progress.Done = append(o.progress.Done, StepRegister)
	} else if local {
		o.progress.Step = StepRegister
		lctx := workflow.WithLocalActivityOptions(ctx, localOpts(10*time.Second, time.Minute))
		if err = workflow.ExecuteLocalActivity(lctx, tenants.Register, o.in.RegisterInput).Get(ctx, &res); err == nil {
			o.progress.Done = append(o.progress.Done, StepRegister)
		}
	} else {
		err = o.step(ctx, StepRegister, alive(10*time.Second, time.Minute), tenants.Register, o.in.RegisterInput, &res)
	}
	o.registered, o.registerErr, o.trialDays = true, err, res.TrialDays
	if err != nil {
		o.progress.Step, o.progress.Error = StepFailed, failureReason(err)
	}
	return err
}

// queueWelcome puts the welcome messages in the outbox and starts their
// delivery, which runs on while the trial starts; a provider outage does not
// hold the tenant back.
func (o *onboarding) queueWelcome(ctx workflow.Context) ([]workflow.Future, error) {
	in := o.welcome()
	o.progress.Step = StepWelcome
	var keys []string
	qctx := workflow.WithActivityOptions(ctx, alive(10*time.Second, 30*time.Minute))
	if err := workflow.ExecuteActivity(qctx, notif.QueueWelcome, in).Get(ctx, &keys); err != nil {
		return nil, err
	}
	dctx := workflow.WithActivityOptions(ctx, opts(30*time.Second, time.Hour))
	futures := make([]workflow.Future, 0, len(keys))
	for _, key := range keys {
		futures = append(futures, workflow.ExecuteActivity(dctx, notif.Deliver, key))
	}
	o.progress.Done = append(o.progress.Done, StepWelcome)
	return futures, nil
}

// welcome is the welcome message's input.
func (o *onboarding) welcome() activities.WelcomeInput {
	return activities.WelcomeInput{TenantID: o.in.TenantID, CompanyName: o.in.Name, Subdomain: o.in.Subdomain,
		AdminEmail: o.in.AdminEmail, AdminName: o.in.AdminName, Phone: o.in.Phone, TrialDays: o.trialDays}
}

// awaitDelivery waits for the welcome deliveries; one that fails for good stays
// in the outbox with its error, visible through the API.
func (o *onboarding) awaitDelivery(ctx workflow.Context, futures []workflow.Future) {
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			o.log.Warn("welcome message not delivered", "error", err)
		}
	}
}

// step runs one activity and records it in the progress.
func (o *onboarding) step(ctx workflow.Context, name string, ao workflow.ActivityOptions, activity, arg, result any) error {
	o.progress.Step = name
	// The error goes up unwrapped so the run fails with the activity's own type;
	// the progress names the step.
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), activity, arg).Get(ctx, result); err != nil {
		return err
	}
	o.progress.Done = append(o.progress.Done, name)
	return nil
}

// compensate undoes a finished step when the run fails. It runs in a
// disconnected context so a cancelled run still cleans up, and retries until it succeeds.
func (o *onboarding) compensate(ctx workflow.Context, runErr *error, what string, activity, arg any) {
	if *runErr != nil {
		undo(ctx, what, activity, arg)
	}
}

// fail marks the tenant failed once every compensation has run.
func (o *onboarding) fail(ctx workflow.Context, cause error) {
	o.progress.Step, o.progress.Error = StepFailed, o.progress.Step+": "+failureReason(cause)
	o.log.Warn("onboarding failed", "error", cause)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	in := activities.FailInput{TenantID: o.in.TenantID, Reason: o.progress.Error, Actor: "workflow:onboarding"}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(dctx, opts(10*time.Second, 0)), tenants.MarkFailed, in).Get(dctx, nil); err != nil {
		o.log.Error("marking the tenant failed did not succeed", "error", err)
	}
}
