package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/notify"
)

// collect charges a period's invoice. A failed charge makes the tenant
// past_due with a grace deadline, tells its admin the amount and the next
// attempt, and retries on the policy's days; a payment settles the tenant
// (reactivating it if it was suspended meanwhile). Suspension when grace runs
// out is the dunning sweep's job, so an operator's grace extension counts.
func collect(ctx workflow.Context, tenantID uuid.UUID, inv activities.InvoiceRef, currency string, policy LifecyclePolicy, actor string) error {
	if inv.Status == "paid" {
		return settle(ctx, tenantID, actor)
	}
	if err := call(ctx, opts(time.Minute, 0), bill.FinalizeInvoice, inv.ID, nil); err != nil {
		return err
	}
	paid, err := charge(ctx, inv, "first", actor)
	if err != nil || paid {
		if paid {
			return settle(ctx, tenantID, actor)
		}
		return err
	}
	firstFailure := workflow.Now(ctx)
	pastDue := activities.PastDueInput{TenantID: tenantID, GraceUntil: firstFailure.Add(policy.Grace), Actor: actor}
	if err := call(ctx, opts(10*time.Second, 0), life.MarkPastDue, pastDue, nil); err != nil {
		return err
	}
	for i := 0; ; i++ {
		next := "none: the account will be suspended on " + pastDue.GraceUntil.Format("2 Jan 2006")
		if i < len(policy.DunningRetries) {
			next = firstFailure.Add(policy.DunningRetries[i]).Format("2 Jan 2006 15:04 MST")
		}
		tell(ctx, tenantID, "payment_failed", fmt.Sprintf("%s/%d", inv.ID, i), notify.Data{
			"invoice": inv.Number, "amount": notify.Money(inv.TotalCents, currency), "next_attempt": next})
		if i == len(policy.DunningRetries) {
			return nil
		}
		if err := workflow.Sleep(ctx, firstFailure.Add(policy.DunningRetries[i]).Sub(workflow.Now(ctx))); err != nil {
			return err
		}
		paid, err := charge(ctx, inv, fmt.Sprintf("dunning-%d", i+1), actor)
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrInvalidInput {
			return nil // voided or otherwise settled elsewhere: nothing left to collect
		}
		if err != nil {
			return err
		}
		if paid {
			return settle(ctx, tenantID, actor)
		}
	}
}

func charge(ctx workflow.Context, inv activities.InvoiceRef, attempt, actor string) (bool, error) {
	var res activities.ChargeResult
	in := activities.ChargeInput{InvoiceID: inv.ID, Attempt: attempt, Actor: actor}
	err := call(ctx, opts(20*time.Second, 0), bill.Charge, in, &res)
	return res.Paid, err
}

// settle reactivates a past-due or suspended tenant that has nothing left to
// pay, opens its database again, and tells its admin when it had been suspended.
func settle(ctx workflow.Context, tenantID uuid.UUID, actor string) error {
	var r activities.Reactivation
	in := activities.ReactivateInput{TenantID: tenantID, Actor: actor}
	if err := call(ctx, opts(10*time.Second, 0), life.Reactivate, in, &r); err != nil {
		return err
	}
	if !r.Reactivated {
		return nil
	}
	return reopen(ctx, tenantID, r.From)
}

// reopen makes the database follow a reactivation and tells the admin.
func reopen(ctx workflow.Context, tenantID uuid.UUID, from lifecycle.Status) error {
	if err := call(ctx, opts(15*time.Second, 0), life.ConvergeAccess, tenantID, nil); err != nil {
		return err
	}
	if from.DatabaseBlocked() {
		tell(ctx, tenantID, "reactivated", workflow.GetInfo(ctx).WorkflowExecution.RunID, notify.Data{})
	}
	return nil
}

// tell queues a message to the tenant's admin and waits for its delivery; a
// message that cannot be sent is logged and stays in the outbox.
func tell(ctx workflow.Context, tenantID uuid.UUID, template, key string, data notify.Data) {
	var keys []string
	in := activities.NoticeInput{TenantID: tenantID, Template: template, Key: key, Data: data}
	if err := call(ctx, opts(10*time.Second, 10*time.Minute), notif.Queue, in, &keys); err != nil {
		workflow.GetLogger(ctx).Warn("notification not queued", "template", template, "error", err)
		return
	}
	deliverAll(ctx, keys)
}
