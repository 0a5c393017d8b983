package workflows

import (
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/notify"
)

// SuspendInput asks for a tenant's suspension.
type SuspendInput struct {
	TenantID uuid.UUID
	Reason   string
	Actor    string
}

// SuspendResult says whether the tenant was suspended.
type SuspendResult struct {
	Suspended bool
}

// SuspendWorkflowID is the ID of a tenant's suspension.
func SuspendWorkflowID(tenantID uuid.UUID) string { return "suspend/" + tenantID.String() }

// Suspend blocks a tenant if its reason still holds: status, database (no new
// connections, open sessions ended), API, and a message to its admin.
func Suspend(ctx workflow.Context, in SuspendInput) (*SuspendResult, error) {
	ok, err := suspend(ctx, in.TenantID, in.Reason, in.Actor)
	return &SuspendResult{Suspended: ok}, err
}

func suspend(ctx workflow.Context, tenantID uuid.UUID, reason, actor string) (bool, error) {
	var ok bool
	in := activities.SuspendInput{TenantID: tenantID, Reason: reason, Actor: actor, Now: workflow.Now(ctx)}
	if err := call(ctx, opts(10*time.Second, time.Hour), life.Suspend, in, &ok); err != nil || !ok {
		return false, err
	}
	// Whatever happened since (a payment, say), the database follows the status as it is now.
	if err := call(ctx, opts(15*time.Second, time.Hour), life.ConvergeAccess, tenantID, nil); err != nil {
		return true, err
	}
	template := "suspended"
	if reason == lifecycle.ReasonTrialExpired {
		template = "trial_expired"
	}
	tell(ctx, tenantID, template, workflow.GetInfo(ctx).WorkflowExecution.RunID, notify.Data{"reason": reasonText(reason)})
	return true, nil
}

func reasonText(reason string) string {
	switch reason {
	case lifecycle.ReasonTrialExpired:
		return "your trial ended without a payment method"
	case lifecycle.ReasonPaymentOverdue:
		return "a payment is overdue"
	}
	return reason
}

// ReactivateInput asks for a tenant's return.
type ReactivateInput struct {
	TenantID uuid.UUID
	Actor    string
	Force    bool            // an operator: open invoices or a cancellation do not stand in the way
	Policy   LifecyclePolicy // the calendar of a trial end that falls due on the way back
}

// ReactivateWorkflowID is the ID of a tenant's reactivation.
func ReactivateWorkflowID(tenantID uuid.UUID) string { return "reactivate/" + tenantID.String() }

// Reactivate lets a suspended or cancelled tenant back to the status it left
// (forced: an operator), or a past-due one that owes nothing (a payment), and
// opens its database again. A trial whose end passed while it was away ends at
// once, through its trial end.
func Reactivate(ctx workflow.Context, in ReactivateInput) (*activities.Reactivation, error) {
	var r activities.Reactivation
	act := activities.ReactivateInput{TenantID: in.TenantID, Actor: in.Actor, Force: in.Force, Now: workflow.Now(ctx)}
	if err := call(ctx, opts(10*time.Second, time.Hour), life.Reactivate, act, &r); err != nil {
		return nil, err
	}
	if !r.Reactivated {
		return &r, nil
	}
	if err := reopen(ctx, in.TenantID, r.From); err != nil {
		return nil, err
	}
	if r.TrialOver {
		if err := startChild(ctx, TrialEndWorkflowID(in.TenantID), TrialEnd, TrialEndInput{TenantID: in.TenantID, Policy: in.Policy}); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// startChild starts a workflow that outlives this one under its deterministic
// ID and waits until it started; one already running under that ID is enough.
func startChild(ctx workflow.Context, id string, wf, arg any) error {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	err := workflow.ExecuteChildWorkflow(cctx, wf, arg).GetChildWorkflowExecution().Get(ctx, nil)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil
	}
	return err
}
