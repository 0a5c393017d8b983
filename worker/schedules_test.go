package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

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
