package workflows

import "time"

// LifecyclePolicy is the operator's calendar: when to remind, retry, suspend
// and archive. It travels in workflow inputs, so a run keeps the policy it
// started with.
type LifecyclePolicy struct {
	TrialReminder          time.Duration   // how long before a trial ends the reminder goes out
	Grace                  time.Duration   // from the first failed charge to suspension
	DunningRetries         []time.Duration // retries, counted from the first failed charge
	Retention              time.Duration   // from cancellation to backup and archive
	SuspendedOffboardAfter time.Duration   // an unpaid suspended tenant is offboarded after this
	OffboardWarning        time.Duration   // warning sent this long before that
}

// DefaultPolicy is the calendar of the brief: reminder 3 days before a trial
// ends, dunning on days 1, 3 and 7, suspension after 14 days' grace, archive
// 30 days after cancellation, unpaid suspended tenants offboarded after 21
// days with a warning 2 days before.
func DefaultPolicy() LifecyclePolicy {
	day := 24 * time.Hour
	return LifecyclePolicy{
		TrialReminder: 3 * day, Grace: 14 * day, DunningRetries: []time.Duration{day, 3 * day, 7 * day},
		Retention: 30 * day, SuspendedOffboardAfter: 21 * day, OffboardWarning: 2 * day,
	}
}
