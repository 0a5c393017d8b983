package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// RenewalInput is a tenant whose period ended.
type RenewalInput struct {
	TenantID  uuid.UUID
	PeriodEnd time.Time // the end the sweep found: the new period's start
	Policy    LifecyclePolicy
}

// RenewalWorkflowID is the ID of the renewal that starts the period at periodStart.
func RenewalWorkflowID(tenantID uuid.UUID, periodStart time.Time) string {
	return "renewal/" + tenantID.String() + "/" + periodStart.UTC().Format(time.RFC3339)
}

// Renewal starts the next period (applying a pending plan change), invoices it
// using the credit balance first, and collects it with dunning.
func Renewal(ctx workflow.Context, in RenewalInput) error {
	var p activities.Period
	start := activities.PeriodInput{TenantID: in.TenantID, ExpectedEnd: &in.PeriodEnd, Now: workflow.Now(ctx), Actor: "workflow:renewal"}
	if err := call(ctx, opts(10*time.Second, 0), life.StartPeriod, start, &p); err != nil || p.Skipped {
		return err
	}
	return collect(ctx, in.TenantID, p.Invoice, p.Currency, in.Policy, "workflow:renewal")
}
