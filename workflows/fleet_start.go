package workflows

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/db"
)

// ErrRolloutOpen is a fleet migration asked for while another runs or waits, paused.
var ErrRolloutOpen = errors.New("a fleet migration is already running or paused")

// FleetOptions shape a rollout.
type FleetOptions struct {
	Canary, Parallel, MaxFailures int
}

// DefaultFleetOptions: three canaries, four databases at once per server, and
// the first failure pauses the rollout.
var DefaultFleetOptions = FleetOptions{Canary: 3, Parallel: 4, MaxFailures: 0}

// StartFleetMigration records a rollout and starts its workflow (outside any
// workflow: the API, a worker starting, the command line). The worker that
// runs it sets its target.
func StartFleetMigration(ctx context.Context, c client.Client, q *db.Queries, taskQueue string, o FleetOptions, startedBy string) (uuid.UUID, error) {
	id := uuid.New()
	_, err := q.FleetMigrationInsert(ctx, db.FleetMigrationInsertParams{ID: id, Canary: int32(o.Canary), Parallel: int32(o.Parallel),
		MaxFailures: int32(o.MaxFailures), StartedBy: startedBy})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return uuid.Nil, ErrRolloutOpen
	}
	if err != nil {
		return uuid.Nil, err
	}
	in := FleetMigrationInput{ID: id, Canary: o.Canary, Parallel: o.Parallel, MaxFailures: o.MaxFailures}
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: FleetMigrationWorkflowID(id), TaskQueue: taskQueue}, FleetMigration, in); err != nil {
		_ = q.FleetMigrationSetStatus(context.WithoutCancel(ctx), db.FleetMigrationSetStatusParams{ID: id, Status: "failed"})
		return uuid.Nil, err
	}
	return id, nil
}
