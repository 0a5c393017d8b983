package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/notify"
)

// Offboarding reasons.
const (
	OffboardRequested = lifecycle.OffboardRequested // the operator deleted the tenant
	OffboardUnpaid    = lifecycle.OffboardUnpaid    // suspended and unpaid for too long
)

// OffboardingInput is a tenant to offboard.
type OffboardingInput struct {
	TenantID    uuid.UUID
	Reason      string
	SuspendedAt *time.Time // unpaid: the suspension the sweep found; only that one is offboarded
	Actor       string
	Policy      LifecyclePolicy
}

// OffboardingResult says how far offboarding went.
type OffboardingResult struct {
	Outcome string // "archived", or "kept" when the tenant came back first
}

// OffboardingWorkflowID is the ID of a tenant's offboarding.
func OffboardingWorkflowID(tenantID uuid.UUID) string { return "offboarding/" + tenantID.String() }

// Offboarding cancels a tenant (an unpaid suspended one after a warning), keeps
// its data for the retention period, then starts archiving (no way back from
// there), takes a verified pg_dump backup, drops the database and role and
// archives the tenant. A tenant that paid, that an operator suspended, or that
// was reactivated before archiving began is kept.
func Offboarding(ctx workflow.Context, in OffboardingInput) (*OffboardingResult, error) {
	kept := &OffboardingResult{Outcome: "kept"}
	expect := lifecycle.CancelExpect{Reason: in.Reason, SuspendedAt: in.SuspendedAt}
	if in.Reason == OffboardUnpaid {
		if due, err := cancellationDue(ctx, in.TenantID, expect); err != nil || !due {
			return kept, err
		}
		tell(ctx, in.TenantID, "offboarding_warning", workflow.GetInfo(ctx).WorkflowExecution.RunID, notify.Data{
			"date": workflow.Now(ctx).Add(in.Policy.OffboardWarning).Format("2 Jan 2006")})
		if err := workflow.Sleep(ctx, in.Policy.OffboardWarning); err != nil {
			return nil, err
		}
		if due, err := cancellationDue(ctx, in.TenantID, expect); err != nil || !due {
			return kept, err
		}
	}
	var cancelled bool
	cancel := activities.CancelInput{TenantID: in.TenantID, Reason: in.Reason, SuspendedAt: in.SuspendedAt, Actor: in.Actor}
	if err := call(ctx, opts(10*time.Second, time.Hour), life.Cancel, cancel, &cancelled); err != nil {
		return nil, err
	}
	// Not cancelled by this run: go on only if the tenant is cancelled all the
	// same (an earlier attempt of the step, or an earlier DELETE, did it).
	if !cancelled && workflow.GetVersion(ctx, "cancel-checked", workflow.DefaultVersion, 1) == 1 {
		if st, err := state(ctx, in.TenantID); err != nil || st.Status != lifecycle.Cancelled {
			return kept, err
		}
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
	var archiving bool
	if err := call(ctx, alive(30*time.Minute, 0), life.Backup, in.TenantID, &archiving); err != nil || !archiving {
		return kept, err // not cancelled any more: reactivated during retention
	}
	if err := call(ctx, opts(time.Minute, 0), life.Archive, in.TenantID, nil); err != nil {
		return nil, err
	}
	return &OffboardingResult{Outcome: "archived"}, nil
}

// cancellationDue reads the tenant and asks whether the offboarding may still cancel it.
func cancellationDue(ctx workflow.Context, tenantID uuid.UUID, expect lifecycle.CancelExpect) (bool, error) {
	st, err := state(ctx, tenantID)
	if err != nil {
		return false, err
	}
	_, due := lifecycle.CancellationDue(lifecycle.Tenant{Status: st.Status, SuspensionReason: st.SuspensionReason, SuspendedAt: st.SuspendedAt}, expect)
	return due, nil
}

func state(ctx workflow.Context, tenantID uuid.UUID) (activities.TenantState, error) {
	var st activities.TenantState
	err := call(ctx, opts(10*time.Second, time.Hour), life.State, tenantID, &st)
	return st, err
}
