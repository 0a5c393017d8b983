package workflows

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/temporal"

	"github.com/landlordhq/landlord/activities"
)

// Rejection is a request a workflow turned down for a business reason: bad
// input, a conflict with the tenant's state, a declined payment. The workflow
// completes with it rather than failing, so a Failed workflow always means
// something went wrong that an operator should look at.
type Rejection struct {
	Type    string         // an activities.Err* type: invalid_input, conflict, payment_failed
	Message string         // for the client
	Details map[string]any // e.g. the fields or limits at fault, the decline code
}

// rejectionTypes are the failures a client caused and can act on.
var rejectionTypes = []string{activities.ErrInvalidInput, activities.ErrConflict, activities.ErrPaymentFailed}

// AsRejection is err as a rejection, if it is one: the workflows end with it, and the API answers a quote it ran itself with it.
func AsRejection(err error) (*Rejection, bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !slices.Contains(rejectionTypes, appErr.Type()) {
		return nil, false
	}
	r := &Rejection{Type: appErr.Type(), Message: appErr.Message()}
	if appErr.HasDetails() {
		_ = appErr.Details(&r.Details) // details that are not an object stay out
	}
	return r, true
}
