// Package activities holds the Temporal activities: structs that hold their
// dependencies, grouped by concern. Each activity is idempotent on its own.
package activities

import (
	"go.temporal.io/sdk/temporal"
)

// Error types of non-retryable activity failures, stable for workflows and the API.
const (
	ErrConflict      = "conflict"       // a unique name (subdomain, tenant code) is taken
	ErrInvalidInput  = "invalid_input"  // the request cannot succeed as given
	ErrNoCapacity    = "no_capacity"    // no database server can take the tenant
	ErrRejected      = "rejected"       // a provider refused the request for good
	ErrInconsistency = "inconsistency"  // state that landlord did not create is in the way
	ErrPaymentFailed = "payment_failed" // the payment provider declined the charge
)

// permanent is a failure retrying cannot mend; details (one value at most)
// travel with it to the workflow and the API, e.g. the fields or limits at fault.
func permanent(kind, msg string, cause error, details ...any) error {
	return temporal.NewNonRetryableApplicationError(msg, kind, cause, details...)
}
