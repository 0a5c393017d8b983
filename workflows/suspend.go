package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
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
	if reason == activities.ReasonTrialExpired {
		template = "trial_expired"
	}
	tell(ctx, tenantID, template, workflow.GetInfo(ctx).WorkflowExecution.RunID, notify.Data{"reason": reasonText(reason)})
	return true, nil
}

func reasonText(reason string) string {
	switch reason {
	case activities.ReasonTrialExpired:
		return "your trial ended without a payment method"
	case activities.ReasonPaymentOverdue:
		return "a payment is overdue"
	}
	return reason
}

// ReactivateInput asks for a tenant's return.
type ReactivateInput struct {
	TenantID uuid.UUID
	Actor    string
	Force    bool // an operator: open invoices or a cancellation do not stand in the way
}

// ReactivateWorkflowID is the ID of a tenant's reactivation.
func ReactivateWorkflowID(tenantID uuid.UUID) string { return "reactivate/" + tenantID.String() }

// Reactivate makes a suspended, past-due (or, forced, cancelled) tenant active
// and opens its database again.
func Reactivate(ctx workflow.Context, in ReactivateInput) (*activities.Reactivation, error) {
	var r activities.Reactivation
	if err := call(ctx, opts(10*time.Second, time.Hour), life.Reactivate, activities.ReactivateInput(in), &r); err != nil {
		return nil, err
	}
	if r.Reactivated {
		if err := reopen(ctx, in.TenantID, r.From); err != nil {
			return nil, err
		}
	}
	return &r, nil
}
