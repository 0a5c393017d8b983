package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// UpdatePaymentMethodInput is a tenant's new payment method.
type UpdatePaymentMethodInput struct {
	TenantID      uuid.UUID
	PaymentMethod string
	Actor         string
}

// InvoiceCharge is how retrying one open invoice went.
type InvoiceCharge struct {
	InvoiceID   uuid.UUID
	Paid        bool
	FailureCode string
}

// UpdatePaymentMethodResult lists the open invoices retried with the new method.
type UpdatePaymentMethodResult struct {
	Invoices []InvoiceCharge
}

// UpdatePaymentMethodWorkflowID is the ID of a tenant's payment method update: one at a time.
func UpdatePaymentMethodWorkflowID(tenantID uuid.UUID) string {
	return "payment-method/" + tenantID.String()
}

// UpdatePaymentMethod stores a new payment method at the provider and in the
// tenant, finalizes and charges every invoice it owes with it, oldest first, and reactivates a
// past-due or suspended tenant that owes nothing any more.
func UpdatePaymentMethod(ctx workflow.Context, in UpdatePaymentMethodInput) (*UpdatePaymentMethodResult, error) {
	set := activities.PaymentMethodInput{TenantID: in.TenantID, PaymentMethod: in.PaymentMethod, Actor: in.Actor}
	if err := call(ctx, opts(30*time.Second, 10*time.Minute), bill.SetPaymentMethod, set, nil); err != nil {
		return nil, err
	}
	var open []uuid.UUID
	if err := call(ctx, opts(10*time.Second, 10*time.Minute), bill.OpenInvoices, in.TenantID, &open); err != nil {
		return nil, err
	}
	res := &UpdatePaymentMethodResult{Invoices: []InvoiceCharge{}}
	attempt := "payment-method/" + workflow.GetInfo(ctx).WorkflowExecution.RunID
	finalize := workflow.GetVersion(ctx, "finalize-drafts", workflow.DefaultVersion, 1) == 1
	for _, id := range open {
		if finalize { // a draft left by a collection that stopped is owed too
			if err := call(ctx, opts(time.Minute, 0), bill.FinalizeInvoice, id, nil); err != nil {
				return nil, err
			}
		}
		var charge activities.ChargeResult
		in := activities.ChargeInput{InvoiceID: id, Attempt: attempt, Actor: in.Actor}
		if err := call(ctx, opts(20*time.Second, 0), bill.Charge, in, &charge); err != nil {
			return nil, err
		}
		res.Invoices = append(res.Invoices, InvoiceCharge{InvoiceID: id, Paid: charge.Paid, FailureCode: charge.FailureCode})
	}
	// Runs recorded before reactivation on payment existed end here.
	if workflow.GetVersion(ctx, "settle-after-payment", workflow.DefaultVersion, 1) == 1 {
		if err := settle(ctx, in.TenantID, in.Actor); err != nil {
			return nil, err
		}
	}
	return res, nil
}
