package workflows

import (
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// MoveInput asks for a tenant's database to move to another server.
type MoveInput struct {
	activities.MoveInput
	DropAfter time.Duration // how long the old copy is kept after the switch
}

// MoveResult is a finished move.
type MoveResult struct {
	From, To   string
	Rows       int64
	DowntimeMS int64 // writes refused: from closing the source to opening the copy
}

// MoveWorkflowID is the ID of a tenant's move.
func MoveWorkflowID(tenantID uuid.UUID) string { return "move/" + tenantID.String() }

// Move copies a tenant's database to another server, verifies the copy (row
// counts and checksums of every table), switches the tenant to it, and leaves
// the old copy to DropOldCopy, which drops it DropAfter later. Before the switch any failure drops the copy
// and reopens the source as the tenant's status says: the tenant stays where
// it was, its data untouched. The database is closed to the tenant from the
// start of the copy to the switch when the source cannot publish (the
// downtime grows with the database); when it can (wal_level = logical) the
// copy follows the source by logical replication while the tenant works, and
// the database is closed only for the final catch-up and check. The downtime
// is reported either way.
func Move(ctx workflow.Context, in MoveInput) (*MoveResult, error) {
	var plan activities.MovePlan
	if err := call(ctx, opts(10*time.Second, time.Minute), dbs.PlanMove, in.MoveInput, &plan); err != nil {
		return nil, err
	}
	dropTarget := activities.DropCopyInput{TenantID: plan.TenantID, Server: plan.Target}
	var closedAt time.Time
	var copied activities.CopyResult
	err := call(ctx, alive(5*time.Minute, time.Hour), dbs.PrepareCopy, plan, nil)
	if plan.Logical {
		// The copy follows the source while the tenant works; it is closed only for the catch-up.
		if err == nil {
			err = call(ctx, alive(time.Hour, 6*time.Hour), dbs.StartReplication, plan, nil)
		}
		if err == nil {
			err = call(ctx, opts(30*time.Second, time.Hour), dbs.CloseForMove, plan, &closedAt)
		}
		if err == nil {
			err = call(ctx, alive(5*time.Minute, time.Hour), dbs.CatchUpAndVerify, plan, &copied)
		}
	} else {
		if err == nil {
			err = call(ctx, opts(30*time.Second, time.Hour), dbs.CloseForMove, plan, &closedAt)
		}
		if err == nil {
			err = call(ctx, alive(time.Hour, 6*time.Hour), dbs.CopyAndVerify, plan, &copied)
		}
	}
	var downtime time.Duration
	if err == nil {
		err = call(ctx, opts(30*time.Second, time.Hour), dbs.SwitchServer, activities.SwitchInput{Plan: plan, ClosedAt: closedAt, Copy: copied}, &downtime)
	}
	if err != nil {
		// Not switched: the copy goes, and the source opens as the tenant's status says.
		if plan.Logical {
			undo(ctx, "stop the replication", dbs.StopReplication, plan)
		}
		undo(ctx, "drop the copy", dbs.DropCopy, dropTarget)
		undo(ctx, "reopen the source", life.ConvergeAccess, plan.TenantID)
		return nil, err
	}
	// The old copy is dropped later by a workflow of its own: the move (and a drain waiting on it) is done now.
	drop := DropOldCopyInput{Copy: activities.DropCopyInput{TenantID: plan.TenantID, Server: plan.Source, Unless: plan.SourceID}, After: in.DropAfter}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: DropOldCopyWorkflowID(plan.TenantID, plan.SourceID, workflow.GetInfo(ctx).WorkflowExecution.RunID),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON})
	if err := workflow.ExecuteChildWorkflow(cctx, DropOldCopy, drop).GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return nil, err
	}
	return &MoveResult{From: plan.SourceName, To: plan.TargetName, Rows: copied.Rows, DowntimeMS: downtime.Milliseconds()}, nil
}

// DropOldCopyInput is a moved tenant's old copy, and how long it is kept.
type DropOldCopyInput struct {
	Copy  activities.DropCopyInput
	After time.Duration
}

// DropOldCopyWorkflowID is the ID of the drop of the old copy a move (its run) left on a server.
func DropOldCopyWorkflowID(tenantID, server uuid.UUID, moveRun string) string {
	return "drop-old-copy/" + tenantID.String() + "/" + server.String() + "/" + moveRun
}

// DropOldCopy keeps a moved tenant's old copy for a while (a way back while
// the move is fresh), then drops its database and roles.
func DropOldCopy(ctx workflow.Context, in DropOldCopyInput) error {
	if err := workflow.Sleep(ctx, in.After); err != nil {
		return err
	}
	return call(ctx, alive(time.Minute, 0), dbs.DropCopy, in.Copy, nil)
}
