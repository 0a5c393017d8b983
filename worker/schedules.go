package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// Schedules configures the sweep schedules.
type Schedules struct {
	Prefix    string // before "sweep-<name>"; empty in production, unique per test
	TaskQueue string
	Every     time.Duration
	Policy    workflows.LifecyclePolicy
	// The warm pool's refill: how often, and how many ready databases per
	// server (0 empties the pools). No schedule when WarmEvery is 0.
	WarmEvery time.Duration
	WarmSize  int
}

// ScheduleID is the ID of a sweep's schedule.
// catchupAtLeast is the shortest catch-up window: a tick missed while
// Temporal was down this long or less still runs once it is back.
const catchupAtLeast = 10 * time.Minute

func (s Schedules) ScheduleID(name string) string { return workflows.SweepScheduleID(s.Prefix, name) }

// EnsureSchedules creates the sweep schedules, or brings existing ones up to
// date (interval, policy, task queue), so every worker start leaves them as
// configured. Each skips a tick while the previous run is still going, and
// runs a tick missed while Temporal was down if it is less than an interval old.
func EnsureSchedules(ctx context.Context, c client.Client, s Schedules) error {
	for _, name := range workflows.SweepNames {
		err := ensureSchedule(ctx, c, s.ScheduleID(name), s.Every, &client.ScheduleWorkflowAction{
			ID:        s.ScheduleID(name),
			Workflow:  workflows.Sweep,
			Args:      []any{workflows.SweepInput{Name: name, Policy: s.Policy}},
			TaskQueue: s.TaskQueue,
		})
		if err != nil {
			return err
		}
	}
	if s.WarmEvery == 0 {
		return nil
	}
	id := workflows.WarmPoolScheduleID(s.Prefix)
	return ensureSchedule(ctx, c, id, s.WarmEvery, &client.ScheduleWorkflowAction{
		ID: id, Workflow: workflows.WarmPool, Args: []any{workflows.WarmPoolInput{Size: s.WarmSize}}, TaskQueue: s.TaskQueue,
	})
}

// ensureSchedule creates schedule id running action every interval, or
// brings the existing one up to date.
func ensureSchedule(ctx context.Context, c client.Client, id string, every time.Duration, action *client.ScheduleWorkflowAction) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	opts := client.ScheduleOptions{
		ID: id, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: max(every, catchupAtLeast),
	}
	err := untilNamespaceKnown(ctx, func() error {
		_, err := c.ScheduleClient().Create(ctx, opts)
		return err
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := c.ScheduleClient().GetHandle(ctx, opts.ID)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sch := in.Description.Schedule
			sch.Spec, sch.Action = &spec, action
			sch.Policy.Overlap, sch.Policy.CatchupWindow = opts.Overlap, opts.CatchupWindow
			return &client.ScheduleUpdate{Schedule: &sch}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("ensure schedule %s: %w", opts.ID, err)
	}
	return nil
}

// namespaceWait is how long a worker waits for a Temporal that has just
// started to know its namespace (a dev server answers before it does).
const namespaceWait = 30 * time.Second

// untilNamespaceKnown runs call, again every 200 ms while Temporal answers
// that the namespace is not found, for namespaceWait at most.
func untilNamespaceKnown(ctx context.Context, call func() error) error {
	deadline := time.Now().Add(namespaceWait)
	for {
		err := call()
		var notFound *serviceerror.NamespaceNotFound
		if !errors.As(err, &notFound) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RollOutTenantSchema starts a fleet migration when tenant databases are
// behind the tenant schema this worker knows: a release's first worker rolls
// its migrations out (one rollout at a time; a running one is left alone).
func RollOutTenantSchema(ctx context.Context, c client.Client, q *db.Queries, servers *tenantdb.Servers, taskQueue string) (uuid.UUID, error) {
	target, err := servers.SchemaVersion()
	if err != nil {
		return uuid.Nil, err
	}
	behind, err := q.FleetTenantsBehindCount(ctx, target)
	if err != nil || behind == 0 {
		return uuid.Nil, err
	}
	id, err := workflows.StartFleetMigration(ctx, c, q, taskQueue, workflows.DefaultFleetOptions, "worker")
	if errors.Is(err, workflows.ErrRolloutOpen) {
		return uuid.Nil, nil
	}
	return id, err
}
