package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// Signals a fleet migration takes.
const (
	FleetPauseSignal  = "pause"
	FleetResumeSignal = "resume"
	FleetAbortSignal  = "abort"
)

// FleetMigrationInput is a rollout of the tenant schema, or the rest of one after continue-as-new.
type FleetMigrationInput struct {
	ID          uuid.UUID
	Target      int64 // the schema version the rollout brings databases to: set by its first step
	Canary      int   // tenants migrated one at a time first; a failure among them pauses the rollout
	Parallel    int   // tenant databases migrated at once per database server
	MaxFailures int   // more failures than this and the rollout pauses itself
	// Carried across runs:
	After    uuid.UUID // the last tenant taken
	Done     int       // tenants finished
	Failures int
	Paused   bool
}

// FleetMigrationWorkflowID is the ID of a rollout.
func FleetMigrationWorkflowID(id uuid.UUID) string { return "fleet-migration/" + id.String() }

// fleetPage is how many tenants a rollout asks for at a time, and fleetPerRun
// how many it finishes before it continues as new (its history stays small
// on fleets of any size).
const (
	fleetPage   = 100
	fleetPerRun = 500
)

// FleetMigration brings every tenant database behind the target up to it:
// canary tenants first, one at a time, then the rest with bounded
// parallelism per database server. Each tenant's outcome is recorded by the
// activity that migrates it. It pauses itself when the failures pass the
// threshold (or a canary fails), and on a pause signal; resume goes on,
// abort stops (the tenants already migrated stay migrated).
func FleetMigration(ctx workflow.Context, in FleetMigrationInput) (string, error) {
	f := &fleet{in: in}
	workflow.Go(ctx, f.listen)
	status, err := f.run(ctx)
	if err != nil && !workflow.IsContinueAsNewError(err) {
		// A rollout that cannot go on says so, and another may start.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = f.setStatus(dctx, "failed", failureReason(err))
	}
	return status, err
}

func (f *fleet) run(ctx workflow.Context) (string, error) {
	if f.in.Target == 0 {
		if err := call(ctx, opts(30*time.Second, time.Hour), fleetActs.Target, f.in.ID, &f.in.Target); err != nil {
			return "", err
		}
	}
	for ranThisRun := 0; ; {
		if status, stop, err := f.gate(ctx); stop || err != nil {
			return status, err
		}
		if ranThisRun >= fleetPerRun {
			return "", workflow.NewContinueAsNewError(ctx, FleetMigration, f.in)
		}
		var page []activities.FleetTenant
		behind := activities.BehindInput{Target: f.in.Target, After: f.in.After, Limit: fleetPage}
		if err := call(ctx, opts(30*time.Second, time.Hour), fleetActs.Behind, behind, &page); err != nil {
			return "", err
		}
		if len(page) == 0 {
			status := "completed"
			if f.in.Failures > 0 {
				status = "failed"
			}
			return status, f.setStatus(ctx, status, "")
		}
		if err := f.migrate(ctx, page); err != nil {
			return "", err
		}
		ranThisRun += len(page)
	}
}

type fleet struct {
	in      FleetMigrationInput
	aborted bool
}

// listen follows the pause, resume and abort signals.
func (f *fleet) listen(ctx workflow.Context) {
	pause := workflow.GetSignalChannel(ctx, FleetPauseSignal)
	resume := workflow.GetSignalChannel(ctx, FleetResumeSignal)
	abort := workflow.GetSignalChannel(ctx, FleetAbortSignal)
	for {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(pause, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); f.in.Paused = true })
		sel.AddReceive(resume, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); f.in.Paused = false })
		sel.AddReceive(abort, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); f.aborted = true })
		sel.Select(ctx)
	}
}

// gate waits while the rollout is paused; stop says it was aborted.
func (f *fleet) gate(ctx workflow.Context) (status string, stop bool, err error) {
	if f.in.Paused && !f.aborted {
		if err := f.setStatus(ctx, "paused", f.pausedWhy()); err != nil {
			return "", true, err
		}
		if err := workflow.Await(ctx, func() bool { return !f.in.Paused || f.aborted }); err != nil {
			return "", true, err
		}
		if !f.aborted {
			f.in.MaxFailures = max(f.in.MaxFailures, f.in.Failures) // resumed: the failures so far were looked at
			if err := f.setStatus(ctx, "running", ""); err != nil {
				return "", true, err
			}
		}
	}
	if f.aborted {
		return "aborted", true, f.setStatus(ctx, "aborted", "")
	}
	return "", false, nil
}

func (f *fleet) pausedWhy() string {
	if f.in.Failures > f.in.MaxFailures {
		return "failures passed the threshold"
	}
	return "paused by an operator"
}

// migrate runs a page: canaries one by one, then up to Parallel at once per server.
func (f *fleet) migrate(ctx workflow.Context, page []activities.FleetTenant) error {
	running := map[uuid.UUID]int{}
	inFlight := 0
	var firstErr error
	for _, t := range page {
		canary := f.in.Done+inFlight < f.in.Canary
		if err := workflow.Await(ctx, func() bool {
			if canary {
				return inFlight == 0
			}
			return running[t.ServerID] < max(f.in.Parallel, 1) || firstErr != nil
		}); err != nil {
			return err
		}
		if firstErr != nil {
			break
		}
		// A pause (or failures past the threshold) stops taking new tenants; those running finish.
		if f.in.Paused || f.aborted || f.in.Failures > f.in.MaxFailures {
			break
		}
		running[t.ServerID]++
		inFlight++
		f.in.After = t.ID
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { running[t.ServerID]--; inFlight-- }()
			var out activities.MigrateOutcome
			err := call(ctx, alive(10*time.Minute, time.Hour), fleetActs.MigrateTenant, activities.MigrateInput{FleetID: f.in.ID, TenantID: t.ID}, &out)
			if err != nil && firstErr == nil {
				firstErr = err
				return
			}
			f.in.Done++
			if out.Status == "failed" {
				f.in.Failures++
				if canary || f.in.Failures > f.in.MaxFailures {
					f.in.Paused = true
				}
			}
		})
	}
	if err := workflow.Await(ctx, func() bool { return inFlight == 0 }); err != nil {
		return err
	}
	return firstErr
}

func (f *fleet) setStatus(ctx workflow.Context, status, why string) error {
	in := activities.FleetStatusInput{ID: f.in.ID, Status: status, Reason: why}
	return call(ctx, opts(10*time.Second, time.Hour), fleetActs.SetStatus, in, nil)
}
