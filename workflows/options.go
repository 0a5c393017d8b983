package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// Activity handles: workflows call activities through these nil pointers,
// never by name.
var (
	tenants   *activities.Tenants
	plans     *activities.Plans
	dbs       *activities.Databases
	bill      *activities.Billing
	notif     *activities.Notifications
	life      *activities.Lifecycle
	sweeps    *activities.Sweeps
	usage     *activities.Usage
	fleetActs *activities.Fleet
)

// opts are activity options: startToClose bounds one attempt, scheduleToClose
// all retries (0: retry until it succeeds).
func opts(startToClose, scheduleToClose time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    startToClose,
		ScheduleToCloseTimeout: scheduleToClose,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	}
}

// localOpts are opts for a local activity: a short step on landlord's own
// database run by the worker running the workflow, recorded as one marker.
// A worker that dies during one is noticed when its workflow task times out,
// and the step runs again on another.
func localOpts(startToClose, scheduleToClose time.Duration) workflow.LocalActivityOptions {
	o := opts(startToClose, scheduleToClose)
	return workflow.LocalActivityOptions{StartToCloseTimeout: o.StartToCloseTimeout,
		ScheduleToCloseTimeout: o.ScheduleToCloseTimeout, RetryPolicy: o.RetryPolicy}
}

// heartbeatTimeout is how soon Temporal retries a heartbeating activity whose
// worker died (activities heartbeat every half second while they run).
const heartbeatTimeout = 2 * time.Second

// alive are the options of an activity that heartbeats: a dead worker is
// noticed within heartbeatTimeout, whatever the start-to-close timeout.
func alive(startToClose, scheduleToClose time.Duration) workflow.ActivityOptions {
	o := opts(startToClose, scheduleToClose)
	o.HeartbeatTimeout = heartbeatTimeout
	return o
}

// failureReason is the one-line reason stored with a failure.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &timeoutErr) {
		return "timed out: " + err.Error()
	}
	return err.Error()
}

// undo runs a compensation in a disconnected context, so a cancelled run still
// cleans up, retrying until it succeeds; it only logs when it cannot.
func undo(ctx workflow.Context, what string, activity, arg any) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(dctx, opts(2*time.Minute, 0)), activity, arg).Get(dctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("compensation failed", "step", what, "error", err)
	}
}

// deliverAll starts delivery of queued notifications and waits for it; a
// message that cannot be delivered stays in the outbox with its error.
func deliverAll(ctx workflow.Context, keys []string) {
	dctx := workflow.WithActivityOptions(ctx, opts(30*time.Second, time.Hour))
	futures := make([]workflow.Future, 0, len(keys))
	for _, key := range keys {
		futures = append(futures, workflow.ExecuteActivity(dctx, notif.Deliver, key))
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("notification not delivered", "error", err)
		}
	}
}
