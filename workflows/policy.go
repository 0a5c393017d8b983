package workflows

import (
	"time"

	"github.com/landlordhq/landlord/lifecycle"
)

// LifecyclePolicy is the operator's calendar (lifecycle.Calendar), under the
// name workflow inputs have always carried it by.
type LifecyclePolicy = lifecycle.Calendar

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
