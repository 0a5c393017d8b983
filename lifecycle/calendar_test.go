package lifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestUpcomingIsWhatTheCalendarDoesNext(t *testing.T) {
	day := 24 * time.Hour
	cal := Calendar{TrialReminder: 3 * day, Grace: 14 * day, DunningRetries: []time.Duration{day, 3 * day, 7 * day},
		Retention: 30 * day, SuspendedOffboardAfter: 21 * day, OffboardWarning: 2 * day}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	cases := []struct {
		name string
		t    Tenant
		want []Scheduled
	}{
		{"a trial far from its end: reminder, then end", Tenant{Status: Trial, TrialEndsAt: at(10 * day)},
			[]Scheduled{{StepTrialReminder, *at(7 * day)}, {StepTrialEnd, *at(10 * day)}}},
		{"a trial already reminded: its end only", Tenant{Status: Trial, TrialEndsAt: at(day)},
			[]Scheduled{{StepTrialEnd, *at(day)}}},
		{"an overdue trial end is still shown: the sweep catches up", Tenant{Status: Trial, TrialEndsAt: at(-time.Hour)},
			[]Scheduled{{StepTrialEnd, *at(-time.Hour)}}},
		{"active: the renewal", Tenant{Status: Active, CurrentPeriodEnd: at(20 * day)},
			[]Scheduled{{StepRenewal, *at(20 * day)}}},
		{"past due two days: the retries left and the grace end", Tenant{Status: PastDue, GraceUntil: at(12 * day)},
			[]Scheduled{{StepDunningRetry, *at(day)}, {StepDunningRetry, *at(5 * day)}, {StepGraceEnd, *at(12 * day)}}},
		{"suspended unpaid: warning, then offboarding", Tenant{Status: Suspended, SuspensionReason: ReasonPaymentOverdue, SuspendedAt: at(-day)},
			[]Scheduled{{StepOffboardWarning, *at(18 * day)}, {StepOffboard, *at(20 * day)}}},
		{"suspended by an operator: nothing on the calendar", Tenant{Status: Suspended, SuspensionReason: "fraud review", SuspendedAt: at(-day)}, nil},
		{"cancelled: the archive", Tenant{Status: Cancelled, CancelledAt: at(-day)}, []Scheduled{{StepArchive, *at(29 * day)}}},
		{"archived: nothing", Tenant{Status: Archived}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Upcoming(c.t, cal, now))
		})
	}
}
