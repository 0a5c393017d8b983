package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// StripeEventWorkflowID is the ID of the workflow that applies one Stripe
// event: a redelivered event finds it and starts nothing.
func StripeEventWorkflowID(eventID string) string { return "stripe-event/" + eventID }

// StripeEvent applies one verified Stripe webhook event to landlord's
// invoices; a payment that leaves nothing open reactivates the tenant.
func StripeEvent(ctx workflow.Context, in activities.StripeEventInput) (*activities.StripeEventResult, error) {
	var res activities.StripeEventResult
	if err := call(ctx, opts(10*time.Second, 0), bill.ApplyStripeEvent, in, &res); err != nil {
		return nil, err
	}
	// Runs recorded before reactivation on payment existed end here.
	if workflow.GetVersion(ctx, "settle-after-payment", workflow.DefaultVersion, 1) == 1 && res.Paid && !res.Duplicate {
		if err := settle(ctx, res.TenantID, "stripe:"+in.EventID); err != nil {
			return nil, err
		}
	}
	return &res, nil
}
