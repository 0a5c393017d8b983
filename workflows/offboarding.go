package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/notify"
)

// Offboarding reasons.
const (
	OffboardRequested = "requested" // the operator deleted the tenant
	OffboardUnpaid    = "unpaid"    // suspended and unpaid for too long
)

// OffboardingInput is a tenant to offboard.
type OffboardingInput struct {
	TenantID uuid.UUID
	Reason   string
	Actor    string
	Policy   LifecyclePolicy
}

// OffboardingResult says how far offboarding went.
type OffboardingResult struct {
	Outcome string // "archived", or "kept" when the tenant came back first
}

// OffboardingWorkflowID is the ID of a tenant's offboarding.
func OffboardingWorkflowID(tenantID uuid.UUID) string { return "offboarding/" + tenantID.String() }

// Offboarding cancels a tenant (an unpaid suspended one after a warning), keeps
// its data for the retention period, then takes a verified pg_dump backup,
// drops the database and role and archives the tenant. A tenant reactivated
// before then is kept.
func Offboarding(ctx workflow.Context, in OffboardingInput) (*OffboardingResult, error) {
	kept := &OffboardingResult{Outcome: "kept"}
	if in.Reason == OffboardUnpaid {
		if st, err := state(ctx, in.TenantID); err != nil || st.Status != "suspended" {
			return kept, err
		}
		tell(ctx, in.TenantID, "offboarding_warning", workflow.GetInfo(ctx).WorkflowExecution.RunID, notify.Data{
			"date": workflow.Now(ctx).Add(in.Policy.OffboardWarning).Format("2 Jan 2006")})
		if err := workflow.Sleep(ctx, in.Policy.OffboardWarning); err != nil {
			return nil, err
		}
		if st, err := state(ctx, in.TenantID); err != nil || st.Status != "suspended" {
			return kept, err
		}
	}
	var cancelled bool
	cancel := activities.CancelInput{TenantID: in.TenantID, Reason: in.Reason, Actor: in.Actor}
	if err := call(ctx, opts(10*time.Second, time.Hour), life.Cancel, cancel, &cancelled); err != nil {
		return nil, err
	}
	if err := call(ctx, opts(15*time.Second, time.Hour), life.ConvergeAccess, in.TenantID, nil); err != nil {
		return nil, err
	}
	if cancelled {
		tell(ctx, in.TenantID, "cancelled", workflow.GetInfo(ctx).WorkflowExecution.RunID, notify.Data{
			"until": workflow.Now(ctx).Add(in.Policy.Retention).Format("2 Jan 2006")})
	}
	if err := workflow.Sleep(ctx, in.Policy.Retention); err != nil {
		return nil, err
	}
	var backedUp bool
	if err := call(ctx, opts(30*time.Minute, 0), life.Backup, in.TenantID, &backedUp); err != nil || !backedUp {
		return kept, err // not cancelled any more: reactivated during retention
	}
	if err := call(ctx, opts(time.Minute, 0), life.Archive, in.TenantID, nil); err != nil {
		return nil, err
	}
	return &OffboardingResult{Outcome: "archived"}, nil
}

func state(ctx workflow.Context, tenantID uuid.UUID) (activities.TenantState, error) {
	var st activities.TenantState
	err := call(ctx, opts(10*time.Second, time.Hour), life.State, tenantID, &st)
	return st, err
}
