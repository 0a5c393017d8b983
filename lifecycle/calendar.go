package lifecycle

import (
	"slices"
	"time"
)

// Calendar is the operator's lifecycle calendar: when to remind, retry,
// suspend and archive. Workflows carry it in their inputs, so a run keeps the
// calendar it started with.
type Calendar struct {
	TrialReminder          time.Duration   // how long before a trial ends the reminder goes out
	Grace                  time.Duration   // from the first failed charge to suspension
	DunningRetries         []time.Duration // retries, counted from the first failed charge
	Retention              time.Duration   // from cancellation to backup and archive
	SuspendedOffboardAfter time.Duration   // an unpaid suspended tenant is offboarded after this
	OffboardWarning        time.Duration   // warning sent this long before that
}

// Step names what the calendar does to a tenant next.
type Step string

// The timed steps of a tenant's life.
const (
	StepTrialReminder   Step = "trial_reminder"   // the admin is told the trial ends soon
	StepTrialEnd        Step = "trial_end"        // converted with a card on file, else suspended
	StepRenewal         Step = "renewal"          // the next period is invoiced and charged
	StepDunningRetry    Step = "dunning_retry"    // a declined charge is tried again
	StepGraceEnd        Step = "grace_end"        // past due and still unpaid: suspended
	StepOffboardWarning Step = "offboard_warning" // an unpaid suspended tenant is warned
	StepOffboard        Step = "offboard"         // ... then cancelled
	StepArchive         Step = "archive"          // a cancelled tenant is backed up and dropped
)

// Scheduled is a step due at a time.
type Scheduled struct {
	Step Step
	At   time.Time
}

// Upcoming is what the calendar will do to the tenant after now, in order of
// time; it reads only the tenant's dates, so it is what the sweeps will find.
func Upcoming(t Tenant, c Calendar, now time.Time) []Scheduled {
	var out []Scheduled
	add := func(step Step, at time.Time) {
		if at.After(now) {
			out = append(out, Scheduled{step, at})
		}
	}
	switch t.Status {
	case Trial:
		if t.TrialEndsAt != nil {
			add(StepTrialReminder, t.TrialEndsAt.Add(-c.TrialReminder))
			out = append(out, Scheduled{StepTrialEnd, *t.TrialEndsAt}) // overdue ones are shown too: the sweep catches up
		}
	case Active:
		if t.CurrentPeriodEnd != nil {
			out = append(out, Scheduled{StepRenewal, *t.CurrentPeriodEnd})
		}
	case PastDue:
		if t.GraceUntil != nil {
			// Retries count from the first failed charge, a grace period before the deadline.
			first := t.GraceUntil.Add(-c.Grace)
			for _, r := range c.DunningRetries {
				add(StepDunningRetry, first.Add(r))
			}
			out = append(out, Scheduled{StepGraceEnd, *t.GraceUntil})
		}
	case Suspended:
		if t.SuspendedAt != nil && Unpaid(t.SuspensionReason) {
			off := t.SuspendedAt.Add(c.SuspendedOffboardAfter)
			add(StepOffboardWarning, off.Add(-c.OffboardWarning))
			out = append(out, Scheduled{StepOffboard, off})
		}
	case Cancelled:
		if t.CancelledAt != nil {
			out = append(out, Scheduled{StepArchive, t.CancelledAt.Add(c.Retention)})
		}
	}
	slices.SortStableFunc(out, func(a, b Scheduled) int { return a.At.Compare(b.At) })
	return out
}
