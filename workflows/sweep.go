package workflows

import (
	"time"

	"github.com/google/uuid"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
)

// Sweeps, by name: each is a Temporal Schedule "sweep-<name>".
const (
	SweepTrials   = "trials"
	SweepRenewals = "renewals"
	SweepDunning  = "dunning"
	SweepUsage    = "usage"
)

// SweepNames lists every sweep.
var SweepNames = []string{SweepTrials, SweepRenewals, SweepDunning, SweepUsage}

// SweepInput is a sweep, or the rest of one after continue-as-new.
type SweepInput struct {
	Name   string
	Policy LifecyclePolicy
	Now    time.Time // the sweep's cutoff clock, fixed by its first run
	Step   int       // which query of the sweep is being paged
	After  activities.Cursor
	Total  int // workflows started so far
	Seen   int // tenants paged so far
	Opened int // usage: tenant databases opened to count so far
}

// SweepResult counts the tenants a sweep paged and the per-tenant workflows it started.
type SweepResult struct {
	Started int
	Seen    int
	Opened  int // usage: tenant databases opened to count (the others had not been written to)
}

// overdueAfter is how long after its end a trial may still be a trial before
// the trial sweep starts its trial end again (a running one is left alone).
const overdueAfter = 10 * time.Minute

// uncollectedAfter is how old a period invoice still being collected must be
// before the renewal sweep looks for its renewal (a running one is left alone).
const uncollectedAfter = 10 * time.Minute

// unstartedAfter is how long a tenant may be provisioning before the trial
// sweep starts its onboarding (a running one is left alone): the API
// registers a signup and then starts its onboarding, and may stop in between.
const unstartedAfter = 2 * time.Minute

// startOnboarding starts the onboarding of a registered tenant from its row.
func startOnboarding(t activities.DueTenant) (string, enumspb.WorkflowIdReusePolicy, any, any) {
	return OnboardingWorkflowID(t.ID), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE, Onboarding, OnboardingInput{RegisterInput: *t.Registered}
}

// pagesPerRun bounds a run's history: then the sweep continues as new.
// A page of tenants to start workflows for is bounded by the history its
// child workflows make; a page measured in place (usage) only by the time
// its activity takes, and most of its tenants cost one row of one query.
const (
	pageSize        = 200
	measurePageSize = 1000
	pagesPerRun     = 5
)

// SweepScheduleID is the ID of a sweep's Temporal Schedule; prefix is empty
// in production (tests give each run one of its own).
func SweepScheduleID(prefix, name string) string { return prefix + "sweep-" + name }

// SweepWorkflowID is the ID of an operator-triggered run of a sweep by the
// deployment on taskQueue (deployments may share a Temporal namespace).
func SweepWorkflowID(name, taskQueue string) string { return "sweep-" + name + "/manual/" + taskQueue }

// Sweep pages through the tenants due for one lifecycle step, along an index,
// and starts each tenant's workflow under its deterministic ID: a tenant whose
// workflow already runs is not started again. It continues as new every few
// pages, so sweeping 100,000 tenants keeps a small history.
func Sweep(ctx workflow.Context, in SweepInput) (*SweepResult, error) {
	if in.Now.IsZero() {
		in.Now = workflow.Now(ctx)
	}
	// Runs recorded before trial ends were marked started page every trial in the window.
	marked := workflow.GetVersion(ctx, "mark-trial-ends", workflow.DefaultVersion, 1) == 1
	steps := sweepSteps(in, marked)
	// Runs recorded before it do not look for onboardings that never started.
	if in.Name == SweepTrials && workflow.GetVersion(ctx, "start-lost-onboardings", workflow.DefaultVersion, 1) == 1 {
		steps = append(steps, sweepStep{kind: activities.DueUnstarted, before: in.Now.Add(-unstartedAfter), start: startOnboarding})
	}
	if len(steps) == 0 {
		return nil, temporal.NewNonRetryableApplicationError("unknown sweep "+in.Name, activities.ErrInvalidInput, nil)
	}
	for pages := 0; in.Step < len(steps); pages++ {
		if pages == pagesPerRun {
			return nil, workflow.NewContinueAsNewError(ctx, Sweep, in)
		}
		st := steps[in.Step]
		var page activities.DuePage
		limit := pageSize
		if st.start == nil {
			limit = measurePageSize
		}
		due := activities.DueInput{Kind: st.kind, Before: st.before, After: in.After, Limit: limit}
		if err := call(ctx, opts(30*time.Second, time.Hour), sweeps.Due, due, &page); err != nil {
			return nil, err
		}
		var started, opened int
		var err error
		if st.start != nil {
			started, err = startAll(ctx, page.Tenants, st.start)
		} else {
			started, opened, err = snapshot(ctx, page.Tenants, in.Now)
		}
		if err == nil && st.mark && len(page.Tenants) > 0 {
			err = call(ctx, opts(30*time.Second, time.Hour), sweeps.MarkStarted, ids(page.Tenants), nil)
		}
		if err != nil {
			return nil, err
		}
		in.Total += started
		in.Seen += len(page.Tenants)
		in.Opened += opened
		in.After = page.Next
		if page.Last {
			in.Step, in.After = in.Step+1, activities.Cursor{}
		}
	}
	// When each sweep last finished, for the "sweep not running" alert (not
	// reported while replaying; it writes nothing to the history).
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"sweep": in.Name}).
		Gauge("landlord_sweep_last_completed_timestamp_seconds").Update(float64(workflow.Now(ctx).Unix()))
	return &SweepResult{Started: in.Total, Seen: in.Seen, Opened: in.Opened}, nil
}

type sweepStep struct {
	kind   string
	before time.Time
	start  func(t activities.DueTenant) (id string, reuse enumspb.WorkflowIdReusePolicy, wf any, arg any)
	mark   bool // record the started trial ends, so the next sweep skips them
}

func ids(due []activities.DueTenant) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(due))
	for _, t := range due {
		out = append(out, t.ID)
	}
	return out
}

func sweepSteps(in SweepInput, marked bool) []sweepStep {
	p := in.Policy
	switch in.Name {
	case SweepTrials:
		trialEnd := func(t activities.DueTenant) (string, enumspb.WorkflowIdReusePolicy, any, any) {
			return TrialEndWorkflowID(t.ID), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE, TrialEnd, TrialEndInput{TenantID: t.ID, Policy: p}
		}
		if !marked {
			return []sweepStep{{kind: activities.DueTrials, before: in.Now.Add(p.TrialReminder), start: trialEnd}}
		}
		return []sweepStep{
			// Each trial's end is started once: the page holds only trials newly in the window.
			{kind: activities.DueTrials, before: in.Now.Add(p.TrialReminder), start: trialEnd, mark: true},
			// A trial still a trial well after its end lost its trial end: start it again.
			{kind: activities.DueTrialsOverdue, before: in.Now.Add(-overdueAfter), start: trialEnd},
		}
	case SweepRenewals:
		// A renewal that completed never runs again for its period; a failed one may.
		renew := func(t activities.DueTenant) (string, enumspb.WorkflowIdReusePolicy, any, any) {
			return RenewalWorkflowID(t.ID, t.Due), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY, Renewal,
				RenewalInput{TenantID: t.ID, PeriodEnd: t.Due, Policy: p}
		}
		return []sweepStep{
			{kind: activities.DueRenewals, before: in.Now, start: renew},
			// A period invoice whose renewal stopped (failed or terminated) before
			// its collection ended: the same renewal runs again and collects it.
			{kind: activities.DueUncollected, before: in.Now.Add(-uncollectedAfter), start: renew},
		}
	case SweepUsage:
		return []sweepStep{{kind: activities.DueLive}} // no start: the page is measured in place
	case SweepDunning:
		return []sweepStep{
			{kind: activities.DueGraceOver, before: in.Now,
				start: func(t activities.DueTenant) (string, enumspb.WorkflowIdReusePolicy, any, any) {
					return SuspendWorkflowID(t.ID), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE, Suspend,
						SuspendInput{TenantID: t.ID, Reason: lifecycle.ReasonPaymentOverdue, Actor: "workflow:sweep-dunning"}
				}},
			{kind: activities.DueUnpaidSuspends, before: in.Now.Add(-(p.SuspendedOffboardAfter - p.OffboardWarning)),
				start: func(t activities.DueTenant) (string, enumspb.WorkflowIdReusePolicy, any, any) {
					return OffboardingWorkflowID(t.ID), enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE, Offboarding,
						OffboardingInput{TenantID: t.ID, Reason: lifecycle.OffboardUnpaid, SuspendedAt: &t.Due, Actor: "workflow:sweep-dunning", Policy: p}
				}},
		}
	}
	return nil
}

// snapshot measures a page of tenants, fires their alert rules and delivers
// what they queued; it returns how many tenants it measured, and of them how
// many databases it opened.
func snapshot(ctx workflow.Context, due []activities.DueTenant, now time.Time) (int, int, error) {
	in := activities.SnapshotInput{Now: now, TenantIDs: make([]uuid.UUID, 0, len(due))}
	for _, t := range due {
		in.TenantIDs = append(in.TenantIDs, t.ID)
	}
	var res activities.SnapshotResult
	if err := call(ctx, opts(5*time.Minute, time.Hour), usage.Snapshot, in, &res); err != nil {
		return 0, 0, err
	}
	deliverAll(ctx, res.Notifications)
	return res.Measured, res.Opened, nil
}

// startAll starts one abandoned child workflow per tenant and waits until each
// started (or was found running); it returns how many it started.
func startAll(ctx workflow.Context, due []activities.DueTenant, start func(activities.DueTenant) (string, enumspb.WorkflowIdReusePolicy, any, any)) (int, error) {
	futures := make([]workflow.ChildWorkflowFuture, 0, len(due))
	for _, t := range due {
		id, reuse, wf, arg := start(t)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            id,
			WorkflowIDReusePolicy: reuse,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		})
		futures = append(futures, workflow.ExecuteChildWorkflow(cctx, wf, arg))
	}
	started := 0
	for _, f := range futures {
		err := f.GetChildWorkflowExecution().Get(ctx, nil)
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			continue
		}
		if err != nil {
			return started, err
		}
		started++
	}
	return started, nil
}
