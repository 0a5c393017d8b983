package workflows

import (
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// DrainInput is a database server to empty, or the rest of it after continue-as-new.
type DrainInput struct {
	Server    uuid.UUID
	Actor     string
	DropAfter time.Duration
	After     uuid.UUID // the last tenant taken
	Moved     int
	Failed    int
}

// DrainResult counts a drain's moves.
type DrainResult struct {
	Moved, Failed int
}

// DrainWorkflowID is the ID of a server's drain.
func DrainWorkflowID(server uuid.UUID) string { return "drain/" + server.String() }

// drainParallel is how many tenants a drain moves at once.
const drainParallel = 2

// Drain moves every tenant off a draining server (which takes no new tenant),
// each by its own Move to the emptiest active server, a few at a time. A move
// that fails leaves its tenant where it was and the drain goes on; running
// the drain again retries those.
func Drain(ctx workflow.Context, in DrainInput) (*DrainResult, error) {
	for pages := 0; ; pages++ {
		if pages == 10 {
			return nil, workflow.NewContinueAsNewError(ctx, Drain, in)
		}
		var page []uuid.UUID
		if err := call(ctx, opts(30*time.Second, time.Hour), dbs.DrainPage, activities.DrainInput{Server: in.Server, After: in.After, Limit: 50}, &page); err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return &DrainResult{Moved: in.Moved, Failed: in.Failed}, nil
		}
		running := 0
		for _, id := range page {
			if err := workflow.Await(ctx, func() bool { return running < drainParallel }); err != nil {
				return nil, err
			}
			running++
			in.After = id
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer func() { running-- }()
				cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: MoveWorkflowID(id),
					WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE})
				move := MoveInput{MoveInput: activities.MoveInput{TenantID: id, Actor: in.Actor}, DropAfter: in.DropAfter}
				if err := workflow.ExecuteChildWorkflow(cctx, Move, move).Get(ctx, nil); err != nil {
					in.Failed++
					workflow.GetLogger(ctx).Warn("tenant not moved off the draining server", "tenant", id.String(), "error", err)
					return
				}
				in.Moved++
			})
		}
		if err := workflow.Await(ctx, func() bool { return running == 0 }); err != nil {
			return nil, err
		}
	}
}
