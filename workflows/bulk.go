package workflows

import (
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// Bulk actions, each the single-tenant action run for every tenant chosen.
const (
	BulkSuspend     = "suspend"
	BulkReactivate  = "reactivate"
	BulkChangePlan  = "change_plan"
	BulkExtendTrial = "extend_trial"
)

// BulkActions lists every bulk action.
var BulkActions = []string{BulkSuspend, BulkReactivate, BulkChangePlan, BulkExtendTrial}

// BulkProgressQuery answers the bulk operation's BulkProgress.
const BulkProgressQuery = "progress"

// bulkParallel is how many tenants a bulk operation works on at once.
const bulkParallel = 4

// BulkInput is one action for many tenants, with the operator's reason.
type BulkInput struct {
	Action    string
	TenantIDs []uuid.UUID
	Reason    string
	PlanCode  string    // change_plan
	Until     time.Time // extend_trial
	Actor     string
	Policy    LifecyclePolicy
}

// Per-tenant outcomes of a bulk operation.
const (
	BulkPending = "pending"
	BulkRunning = "running"
	BulkDone    = "done"
	BulkSkipped = "skipped" // nothing to do: the tenant was not in a status the action applies to
	BulkFailed  = "failed"
)

// BulkItem is one tenant's progress.
type BulkItem struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Status   string    `json:"status"`
	Detail   string    `json:"detail"`
}

// BulkProgress is where a bulk operation stands (and, finished, its result).
type BulkProgress struct {
	Action   string     `json:"action"`
	Items    []BulkItem `json:"items"`
	Finished bool       `json:"finished"`
}

// BulkWorkflowID is the ID of a bulk operation.
func BulkWorkflowID(id uuid.UUID) string { return "bulk/" + id.String() }

// Bulk runs one action for each tenant, a few at a time: each tenant's own
// workflow as a child under its usual ID, so a bulk suspension and a single
// one never run at once for a tenant. Every tenant's request is first written
// to its audit log with the reason. One tenant failing does not stop the others.
func Bulk(ctx workflow.Context, in BulkInput) (*BulkProgress, error) {
	p := &BulkProgress{Action: in.Action, Items: make([]BulkItem, len(in.TenantIDs))}
	for i, id := range in.TenantIDs {
		p.Items[i] = BulkItem{TenantID: id, Status: BulkPending}
	}
	if err := workflow.SetQueryHandler(ctx, BulkProgressQuery, func() (*BulkProgress, error) { return p, nil }); err != nil {
		return nil, err
	}
	running := 0
	for i := range p.Items {
		if err := workflow.Await(ctx, func() bool { return running < bulkParallel }); err != nil {
			return nil, err
		}
		running++
		p.Items[i].Status = BulkRunning
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { running-- }()
			p.Items[i].Status, p.Items[i].Detail = bulkOne(ctx, in, p.Items[i].TenantID)
		})
	}
	if err := workflow.Await(ctx, func() bool { return running == 0 }); err != nil {
		return nil, err
	}
	p.Finished = true
	return p, nil
}

// bulkOne runs the action for one tenant: its outcome and what to say about it.
func bulkOne(ctx workflow.Context, in BulkInput, id uuid.UUID) (string, string) {
	note := activities.NoteInput{TenantID: id, Actor: in.Actor, Action: "BULK_" + strings.ToUpper(in.Action) + "_REQUESTED",
		Details: map[string]any{"reason": in.Reason, "bulk_operation": workflow.GetInfo(ctx).WorkflowExecution.ID}}
	var found bool
	if err := call(ctx, opts(10*time.Second, time.Hour), life.Note, note, &found); err != nil {
		return BulkFailed, failureReason(err)
	}
	if !found {
		return BulkFailed, "no such tenant"
	}
	child := func(wfID string) workflow.Context {
		return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: wfID,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE})
	}
	switch in.Action {
	case BulkSuspend:
		var res SuspendResult
		err := workflow.ExecuteChildWorkflow(child(SuspendWorkflowID(id)), Suspend, SuspendInput{TenantID: id, Reason: in.Reason, Actor: in.Actor}).Get(ctx, &res)
		return outcome(err, res.Suspended, "suspended", "not live: nothing to suspend")
	case BulkReactivate:
		var res activities.Reactivation
		err := workflow.ExecuteChildWorkflow(child(ReactivateWorkflowID(id)), Reactivate,
			ReactivateInput{TenantID: id, Actor: in.Actor, Force: true, Policy: in.Policy}).Get(ctx, &res)
		return outcome(err, res.Reactivated, "back as "+string(res.To), "neither suspended nor cancelled")
	case BulkChangePlan:
		var res ChangePlanResult
		err := workflow.ExecuteChildWorkflow(child(ChangePlanWorkflowID(id)), ChangePlan,
			ChangePlanInput{TenantID: id, PlanCode: in.PlanCode, Actor: in.Actor}).Get(ctx, &res)
		if err == nil && res.Rejected != nil {
			return BulkSkipped, res.Rejected.Message
		}
		if err == nil && res.Scheduled {
			return BulkDone, "moves to " + res.To + " on " + res.EffectiveAt.UTC().Format("2 Jan 2006")
		}
		return outcome(err, true, "now on "+res.To, "")
	case BulkExtendTrial:
		var moved bool
		move := activities.MoveTrialEndInput{TenantID: id, Until: in.Until, Action: "TRIAL_EXTENDED", Reason: in.Reason, Actor: in.Actor}
		err := call(ctx, opts(10*time.Second, time.Hour), life.MoveTrialEnd, move, &moved)
		if err == nil && moved {
			// A trial end waiting for the old end reads the new one; none waiting, the sweep finds it.
			_ = workflow.SignalExternalWorkflow(ctx, TrialEndWorkflowID(id), "", TrialEndRecheckSignal, nil).Get(ctx, nil)
		}
		return outcome(err, moved, "trial ends "+in.Until.UTC().Format("2 Jan 2006 15:04 MST"), "not on a trial")
	}
	return BulkFailed, "unknown action " + in.Action
}

func outcome(err error, changed bool, done, skipped string) (string, string) {
	switch {
	case err != nil:
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return BulkFailed, "the same change for this tenant is already running"
		}
		return BulkFailed, failureReason(err)
	case !changed:
		return BulkSkipped, skipped
	}
	return BulkDone, done
}
