package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/notify"
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
	tellNotApplied(ctx, in.TenantID, p)
	return collect(ctx, in.TenantID, p.Invoice, p.Currency, in.Policy, "workflow:renewal")
}

// tellNotApplied tells the admin why a scheduled plan was not applied, if it was not.
func tellNotApplied(ctx workflow.Context, tenantID uuid.UUID, p activities.Period) {
	if p.NotApplied == nil {
		return
	}
	over := make([]string, 0, len(p.NotApplied.Violations))
	for _, v := range p.NotApplied.Violations {
		over = append(over, fmt.Sprintf("%d %s where %d are allowed", v.Used, strings.TrimPrefix(v.Limit, "max_"), v.Allowed))
	}
	tell(ctx, tenantID, "plan_change_not_applied", p.Start.UTC().Format(time.RFC3339), notify.Data{
		"plan": p.NotApplied.Plan, "kept": p.Plan, "over": strings.Join(over, ", ")})
}
