package activities

import (
	"context"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
)

// heartbeatEvery is how often a running activity tells Temporal it is alive;
// the workflows' heartbeat timeouts are a few times this.
const heartbeatEvery = 500 * time.Millisecond

// keepAlive heartbeats until the returned stop is called, so that Temporal
// notices within its heartbeat timeout when the worker running the activity
// dies, and retries it on another, instead of waiting out the start-to-close
// timeout. Outside an activity (a direct call in a test) it does nothing.
func keepAlive(ctx context.Context) (stop func()) { return keepAliveWith(ctx, nil) }

// keepAliveWith is keepAlive that sends what progress holds with each heartbeat.
func keepAliveWith(ctx context.Context, progress *atomic.Value) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		// The first heartbeat goes out one interval in, well inside the
		// timeout: an activity that ends sooner (most do) sends none, and
		// waits for no round trip to Temporal.
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if progress != nil {
				activity.RecordHeartbeat(ctx, progress.Load())
			} else {
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	// Stopping waits for a heartbeat being sent: none may go out once the
	// activity has returned (the SDK would log it as failed, canceled).
	return func() { close(done); <-finished }
}
