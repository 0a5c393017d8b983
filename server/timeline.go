package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/workflows"
)

// timelineEvent is one thing that happened to a tenant.
type timelineEvent struct {
	At      time.Time       `json:"at"`
	Kind    string          `json:"kind"` // status, audit, invoice, message, alert, backup
	Title   string          `json:"title"`
	Actor   *string         `json:"actor"`
	Details json.RawMessage `json:"details,omitempty"`
}

// scheduledStep is what the lifecycle calendar will do to a tenant next.
type scheduledStep struct {
	At      time.Time      `json:"at"`
	Step    lifecycle.Step `json:"step"`
	Title   string         `json:"title"`
	Actions []string       `json:"actions"` // what an operator may do about it: run_now, extend
}

// pendingActivity is a step a running workflow is trying, with its retries.
type pendingActivity struct {
	Activity      string     `json:"activity"`
	Attempt       int32      `json:"attempt"`
	LastError     *string    `json:"last_error"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
}

// runningWork is one of the tenant's workflows still running.
type runningWork struct {
	WorkflowID string            `json:"workflow_id"`
	StartedAt  time.Time         `json:"started_at"`
	Pending    []pendingActivity `json:"pending"`
}

type timeline struct {
	Next    []scheduledStep `json:"next"`    // soonest first
	Running []runningWork   `json:"running"` // the tenant's workflows now running
	Past    []timelineEvent `json:"past"`    // newest first
}

var stepTitles = map[lifecycle.Step]string{
	lifecycle.StepTrialReminder:   "The admin is reminded the trial ends soon",
	lifecycle.StepTrialEnd:        "The trial ends: converted with a card on file, else suspended",
	lifecycle.StepRenewal:         "The next period is invoiced and charged",
	lifecycle.StepDunningRetry:    "The declined charge is tried again",
	lifecycle.StepGraceEnd:        "Grace ends: suspended if still unpaid",
	lifecycle.StepOffboardWarning: "The admin is warned the tenant will be cancelled",
	lifecycle.StepOffboard:        "Still unpaid: cancelled",
	lifecycle.StepArchive:         "Backed up, then its database dropped",
}

var stepActions = map[lifecycle.Step][]string{
	lifecycle.StepTrialEnd: {"run_now", "extend"},
	lifecycle.StepGraceEnd: {"extend"},
}

// getTimeline is everything that happened to a tenant and everything the
// calendar will do next, with the tenant's workflows now running.
func (s *Server) getTimeline(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return db.NotFound(err)
	}
	out := timeline{Next: []scheduledStep{}, Past: []timelineEvent{}}
	lt := lifecycle.Tenant{Status: t.Status, SuspendedAt: t.SuspendedAt, TrialEndsAt: t.TrialEndsAt, GraceUntil: t.GraceUntil,
		CurrentPeriodEnd: t.CurrentPeriodEnd, CancelledAt: t.CancelledAt}
	if t.SuspensionReason != nil {
		lt.SuspensionReason = *t.SuspensionReason
	}
	for _, sc := range lifecycle.Upcoming(lt, s.policy, time.Now()) {
		title := stepTitles[sc.Step]
		if sc.Step == lifecycle.StepRenewal && t.PendingPlanCode != nil {
			title += ", on " + *t.PendingPlanCode
		}
		actions := stepActions[sc.Step]
		if actions == nil {
			actions = []string{}
		}
		out.Next = append(out.Next, scheduledStep{At: sc.At, Step: sc.Step, Title: title, Actions: actions})
	}
	if out.Running, err = s.runningWork(ctx, t); err != nil {
		return err
	}
	if out.Past, err = s.history(ctx, id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// history merges the tenant's status changes, audit log, invoices, messages,
// alerts and backups, newest first (the latest 100 of each).
func (s *Server) history(ctx context.Context, id uuid.UUID) ([]timelineEvent, error) {
	const each = 100
	out := []timelineEvent{}
	err := db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		statuses, err := q.TenantStatusHistoryList(ctx, id)
		if err != nil {
			return err
		}
		for _, h := range statuses {
			title := "Became " + string(h.ToStatus)
			if h.FromStatus != nil {
				title = string(*h.FromStatus) + " → " + string(h.ToStatus)
			}
			if h.Reason != "" {
				title += ": " + h.Reason
			}
			out = append(out, timelineEvent{At: h.CreatedAt, Kind: "status", Title: title, Actor: &h.Actor})
		}
		audit, err := q.AuditListByTenant(ctx, db.AuditListByTenantParams{TenantID: &id, RowLimit: each})
		if err != nil {
			return err
		}
		for _, a := range audit {
			out = append(out, timelineEvent{At: a.CreatedAt, Kind: "audit", Title: a.Action, Actor: &a.Actor, Details: a.Details})
		}
		invoices, err := q.InvoiceListByTenant(ctx, db.InvoiceListByTenantParams{TenantID: id, RowLimit: each})
		if err != nil {
			return err
		}
		for _, inv := range invoices {
			amount := fmt.Sprintf("%s %.2f", strings.ToUpper(inv.Currency), float64(inv.TotalCents)/100)
			out = append(out, timelineEvent{At: inv.CreatedAt, Kind: "invoice", Title: "Invoice " + inv.Number + " for " + amount + ": " + inv.Status})
			if inv.PaidAt != nil {
				out = append(out, timelineEvent{At: *inv.PaidAt, Kind: "invoice", Title: "Invoice " + inv.Number + " paid"})
			}
		}
		messages, err := q.NotificationListByTenant(ctx, db.NotificationListByTenantParams{TenantID: &id, RowLimit: each})
		if err != nil {
			return err
		}
		for _, n := range messages {
			out = append(out, timelineEvent{At: n.CreatedAt, Kind: "message", Title: n.Channel + " " + n.Template + " to " + n.Recipient + ": " + n.Status})
		}
		alerts, err := q.AlertList(ctx, db.AlertListParams{TenantID: &id, RowLimit: each})
		if err != nil {
			return err
		}
		for _, a := range alerts {
			out = append(out, timelineEvent{At: a.CreatedAt, Kind: "alert", Title: "Alert " + a.Rule + " (" + a.Period + ")", Details: a.Details})
		}
		backups, err := q.TenantBackupList(ctx, id)
		if err != nil {
			return err
		}
		for _, b := range backups {
			out = append(out, timelineEvent{At: b.CreatedAt, Kind: "backup", Title: fmt.Sprintf("Backup of %s (%d bytes) verified", b.DatabaseName, b.SizeBytes)})
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b timelineEvent) int { return b.At.Compare(a.At) })
	return out, err
}

// runningWork describes the tenant's workflows that may be running (their IDs
// derive from the tenant), with the step each is retrying and why.
func (s *Server) runningWork(ctx context.Context, t db.Tenant) ([]runningWork, error) {
	ids := []string{workflows.OnboardingWorkflowID(t.ID), workflows.TrialEndWorkflowID(t.ID), workflows.ChangePlanWorkflowID(t.ID),
		workflows.UpdatePaymentMethodWorkflowID(t.ID), workflows.SuspendWorkflowID(t.ID), workflows.ReactivateWorkflowID(t.ID),
		workflows.OffboardingWorkflowID(t.ID), workflows.MoveWorkflowID(t.ID)}
	for _, at := range []*time.Time{t.CurrentPeriodStart, t.CurrentPeriodEnd} {
		if at != nil {
			ids = append(ids, workflows.RenewalWorkflowID(t.ID, *at))
		}
	}
	var (
		mu   sync.Mutex
		out  = []runningWork{}
		errs []error
		wg   sync.WaitGroup
	)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, id := range ids {
		wg.Go(func() {
			w, err := s.describeRunning(dctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if w != nil {
				out = append(out, *w)
			}
		})
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b runningWork) int { return a.StartedAt.Compare(b.StartedAt) })
	return out, errors.Join(errs...)
}

// describeRunning is a workflow's running work, or nil when none runs under id.
func (s *Server) describeRunning(ctx context.Context, id string) (*runningWork, error) {
	d, err := s.temporal.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil, nil
	}
	w := &runningWork{WorkflowID: id, StartedAt: info.GetStartTime().AsTime(), Pending: pendingActivities(d.GetPendingActivities())}
	return w, nil
}

func pendingActivities(infos []*workflowpb.PendingActivityInfo) []pendingActivity {
	out := make([]pendingActivity, 0, len(infos))
	for _, p := range infos {
		a := pendingActivity{Activity: p.GetActivityType().GetName(), Attempt: p.GetAttempt()}
		if f := p.GetLastFailure(); f != nil {
			msg := f.GetMessage()
			a.LastError = &msg
		}
		if next := p.GetNextAttemptScheduleTime(); next != nil {
			at := next.AsTime()
			a.NextAttemptAt = &at
		}
		out = append(out, a)
	}
	return out
}
