package worker

import (
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/landlordhq/landlord/activities"

	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSchedulesAreCreatedOnceAndKeptUpToDate(t *testing.T) {
	c := testenv.TemporalClient(t)
	s := Schedules{Prefix: testenv.RandomName("t") + "-", TaskQueue: "q", Every: time.Hour, Policy: workflows.DefaultPolicy()}
	t.Cleanup(func() {
		for _, name := range workflows.SweepNames {
			_ = c.ScheduleClient().GetHandle(t.Context(), s.ScheduleID(name)).Delete(t.Context())
		}
	})
	require.NoError(t, EnsureSchedules(t.Context(), c, s))
	s.Every = 10 * time.Minute
	require.NoError(t, EnsureSchedules(t.Context(), c, s), "a second start updates instead of failing")

	for _, name := range workflows.SweepNames {
		d, err := c.ScheduleClient().GetHandle(t.Context(), s.ScheduleID(name)).Describe(t.Context())
		require.NoError(t, err, name)
		assert.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, d.Schedule.Policy.Overlap, name)
		assert.Equal(t, 10*time.Minute, d.Schedule.Policy.CatchupWindow, name)
		require.Len(t, d.Schedule.Spec.Intervals, 1, name)
		assert.Equal(t, 10*time.Minute, d.Schedule.Spec.Intervals[0].Every, name)
	}
}

// TestMissedTickRunsOnceAfterTemporalRestarts stops a dev server (its state on
// disk) across a scheduled tick: after the restart the missed sweep runs, once.
// It takes a few minutes: the interval must be long enough that the dev
// server's scheduler has learnt the previous run finished before the next tick.
func TestMissedTickRunsOnceAfterTemporalRestarts(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hostPort := ln.Addr().String()
	ln.Close()
	opts := testsuite.DevServerOptions{
		ExistingPath:  testenv.TemporalCLI(),
		DBFilename:    filepath.Join(t.TempDir(), "temporal.db"),
		ClientOptions: &client.Options{HostPort: hostPort},
		LogLevel:      "error",
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	}
	srv, err := testsuite.StartDevServer(t.Context(), opts)
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()

	queue := testenv.RandomName("tick-")
	s := Schedules{TaskQueue: queue, Every: time.Minute, Policy: workflows.DefaultPolicy()}
	startWorker := func(c client.Client) sdkworker.Worker {
		w := sdkworker.New(c, queue, sdkworker.Options{})
		w.RegisterWorkflow(workflows.Sweep)
		w.RegisterActivity(&activities.Sweeps{Pool: d.Pool})
		w.RegisterActivity(&activities.Usage{Pool: d.Pool})
		require.NoError(t, w.Start())
		return w
	}
	c := srv.Client()
	w := startWorker(c)
	require.NoError(t, EnsureSchedules(t.Context(), c, s))
	id := s.ScheduleID(workflows.SweepTrials)
	// A busy dev server may time a call out: callers retry.
	describe := func(c client.Client) (client.ScheduleInfo, error) {
		desc, err := c.ScheduleClient().GetHandle(t.Context(), id).Describe(t.Context())
		if err != nil {
			return client.ScheduleInfo{}, err
		}
		return desc.Info, nil
	}

	// Stop once a tick's sweep has run and the scheduler knows it finished (a
	// run it still thinks open would make the missed tick an overlap, skipped),
	// with the next tick far enough ahead to stop before it; stay down across it.
	var info client.ScheduleInfo
	var lastTick time.Time
	for {
		require.Eventually(t, func() bool {
			var err error
			info, err = describe(c)
			return err == nil && info.NumActions > 0 && len(info.RunningWorkflows) == 0
		}, 3*time.Minute, 100*time.Millisecond)
		lastTick = info.RecentActions[len(info.RecentActions)-1].ScheduleTime
		if time.Until(lastTick.Add(s.Every)) > 15*time.Second {
			break
		}
		time.Sleep(time.Until(lastTick.Add(s.Every))) // too close to the next tick: take that one instead
	}
	w.Stop()
	require.NoError(t, srv.Stop())
	missed := lastTick.Add(s.Every)
	time.Sleep(time.Until(missed.Add(5 * time.Second)))
	restarted := time.Now()

	srv, err = testsuite.StartDevServer(t.Context(), opts)
	require.NoError(t, err)
	c = srv.Client()
	defer startWorker(c).Stop()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		runs := 0
		info, err := describe(c)
		require.NoError(ct, err)
		for _, a := range info.RecentActions {
			if a.ScheduleTime.Equal(missed) {
				runs++
				require.True(ct, a.ActualTime.After(restarted), "the missed tick ran after the restart")
			}
		}
		require.Equal(ct, 1, runs, "the tick missed at %v runs once", missed)
	}, 60*time.Second, 200*time.Millisecond)
}
