package workflows

// All lists every workflow type the worker registers. The replay test holds
// a recorded history for each, so a change that would break running
// workflows of any type fails before it ships.
var All = []any{Onboarding, ChangePlan, UpdatePaymentMethod, StripeEvent, TrialEnd, Renewal, Suspend, Reactivate, Offboarding, Sweep, Bulk, FleetMigration, Move, DropOldCopy, Drain, WarmPool, SignInLink}
