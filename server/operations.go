package server

import (
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/workflows"
)

// exportTenants writes every tenant the list's filters select as CSV, newest
// first, a page at a time.
func (s *Server) exportTenants(c echo.Context) error {
	ctx := c.Request().Context()
	filter, err := tenantFilter(c)
	if err != nil {
		return err
	}
	servers, err := s.serverNames(ctx)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set("Content-Disposition", `attachment; filename="tenants-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	_ = w.Write([]string{"id", "code", "name", "subdomain", "status", "plan", "billing_cycle", "admin_email",
		"trial_ends_at", "current_period_end", "database", "server", "credit_balance_cents", "created_at"})
	arg := db.TenantListParams{Status: filter.Status, PlanCode: filter.PlanCode, ServerName: filter.ServerName,
		Search: filter.Search, RowLimit: 1000}
	for {
		rows, err := s.q.TenantList(ctx, arg)
		if err != nil {
			return err // the client sees a cut-off file, the log says why
		}
		for _, t := range rows {
			server := ""
			if t.DatabaseServerID != nil {
				server = servers[*t.DatabaseServerID]
			}
			_ = w.Write(spreadsheetSafe(t.ID.String(), t.TenantCode, t.TenantName, t.Subdomain, string(t.Status), t.PlanCode,
				t.BillingCycle, t.AdminEmail, csvTime(t.TrialEndsAt), csvTime(t.CurrentPeriodEnd), deref(t.DatabaseName), server,
				strconv.FormatInt(t.CreditBalanceCents, 10), t.CreatedAt.UTC().Format(time.RFC3339)))
		}
		w.Flush()
		if err := w.Error(); err != nil || len(rows) < int(arg.RowLimit) {
			return err
		}
		last := rows[len(rows)-1]
		arg.BeforeCreatedAt, arg.BeforeID = &last.CreatedAt, &last.ID
	}
}

// spreadsheetSafe keeps a cell someone typed (a company's name at signup)
// from being read as a formula when the file is opened in a spreadsheet.
func spreadsheetSafe(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type sweepView struct {
	Name      string      `json:"name"`
	Scheduled bool        `json:"scheduled"` // a schedule runs it; false: only by hand here
	Paused    bool        `json:"paused"`
	Every     *string     `json:"every"`
	NextRunAt *time.Time  `json:"next_run_at"`
	LastRunAt *time.Time  `json:"last_run_at"`
	Manual    *manualView `json:"manual_run"` // the last run started from the API
}

type manualView struct {
	WorkflowID string     `json:"workflow_id"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	ClosedAt   *time.Time `json:"closed_at"`
}

type sweepList struct {
	Sweeps []sweepView `json:"sweeps"`
}

// listSweeps is each sweep's schedule (every, next and last run) and its last
// run started by hand.
func (s *Server) listSweeps(c echo.Context) error {
	ctx := c.Request().Context()
	out := sweepList{Sweeps: make([]sweepView, 0, len(workflows.SweepNames))}
	for _, name := range workflows.SweepNames {
		v := sweepView{Name: name}
		d, err := s.temporal.ScheduleClient().GetHandle(ctx, workflows.SweepScheduleID(s.schedulePrefix, name)).Describe(ctx)
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
		case err != nil:
			return err
		default:
			v.Scheduled, v.Paused = true, d.Schedule.State.Paused
			for _, iv := range d.Schedule.Spec.Intervals {
				every := iv.Every.String()
				v.Every = &every
			}
			if len(d.Info.NextActionTimes) > 0 {
				v.NextRunAt = &d.Info.NextActionTimes[0]
			}
			if n := len(d.Info.RecentActions); n > 0 {
				v.LastRunAt = &d.Info.RecentActions[n-1].ActualTime
			}
		}
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, workflows.SweepWorkflowID(name, s.taskQueue), "")
		switch {
		case errors.As(err, &notFound):
		case err != nil:
			return err
		default:
			info := desc.GetWorkflowExecutionInfo()
			m := &manualView{WorkflowID: info.GetExecution().GetWorkflowId(), StartedAt: info.GetStartTime().AsTime(),
				Status: strings.ToLower(strings.TrimPrefix(info.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_"))}
			if info.GetCloseTime() != nil {
				at := info.GetCloseTime().AsTime()
				m.ClosedAt = &at
			}
			v.Manual = m
		}
		out.Sweeps = append(out.Sweeps, v)
	}
	return c.JSON(http.StatusOK, out)
}

type bulkRequest struct {
	Action    string      `json:"action"` // suspend, reactivate, change_plan, extend_trial
	TenantIDs []uuid.UUID `json:"tenant_ids"`
	Reason    string      `json:"reason"`
	PlanCode  string      `json:"plan_code,omitempty"` // change_plan
	Until     *time.Time  `json:"until,omitempty"`     // extend_trial
}

type bulkView struct {
	ID         uuid.UUID            `json:"id"`
	WorkflowID string               `json:"workflow_id"`
	Action     string               `json:"action"`
	Finished   bool                 `json:"finished"`
	Counts     map[string]int       `json:"counts"` // tenants by outcome: pending, running, done, skipped, failed
	Items      []workflows.BulkItem `json:"items"`
}

// maxBulk is the most tenants one bulk operation takes.
const maxBulk = 500

// startBulk runs one action for many tenants as one durable operation.
func (s *Server) startBulk(c echo.Context) error {
	var req bulkRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	bad := map[string]string{}
	if !slices.Contains(workflows.BulkActions, req.Action) {
		bad["action"] = "must be one of " + strings.Join(workflows.BulkActions, ", ")
	}
	seen := map[uuid.UUID]bool{}
	for _, id := range req.TenantIDs {
		if seen[id] {
			bad["tenant_ids"] = "must not repeat a tenant"
		}
		seen[id] = true
	}
	if len(req.TenantIDs) == 0 || len(req.TenantIDs) > maxBulk {
		bad["tenant_ids"] = "must name 1 to " + strconv.Itoa(maxBulk) + " tenants"
	}
	if req.Action == workflows.BulkChangePlan && !planCodeRe.MatchString(req.PlanCode) {
		bad["plan_code"] = "is not an available plan"
	}
	if req.Action == workflows.BulkExtendTrial && (req.Until == nil || checkUntil(*req.Until) != nil) {
		bad["until"] = "must be a time within the next year"
	}
	reason, err := reasonFor(c, req.Reason)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	in := workflows.BulkInput{Action: req.Action, TenantIDs: req.TenantIDs, Reason: reason, PlanCode: req.PlanCode,
		Actor: principalOf(c).actor(), Policy: s.policy}
	if req.Until != nil {
		in.Until = *req.Until
	}
	id := uuid.New()
	_, err = s.temporal.ExecuteWorkflow(c.Request().Context(), client.StartWorkflowOptions{
		ID: workflows.BulkWorkflowID(id), TaskQueue: s.taskQueue}, workflows.Bulk, in)
	if err != nil {
		return err
	}
	items := make([]workflows.BulkItem, 0, len(req.TenantIDs))
	for _, t := range req.TenantIDs {
		items = append(items, workflows.BulkItem{TenantID: t, Status: workflows.BulkPending})
	}
	return c.JSON(http.StatusAccepted, newBulkView(id, workflows.BulkProgress{Action: req.Action, Items: items}))
}

// getBulk is a bulk operation's progress, tenant by tenant.
func (s *Server) getBulk(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return notFound("bulk operation")
	}
	ctx := c.Request().Context()
	var p workflows.BulkProgress
	resp, err := s.temporal.QueryWorkflowWithOptions(ctx, &client.QueryWorkflowWithOptionsRequest{
		WorkflowID: workflows.BulkWorkflowID(id), QueryType: workflows.BulkProgressQuery,
		QueryRejectCondition: enumspb.QUERY_REJECT_CONDITION_NONE})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return notFound("bulk operation")
	}
	if err == nil {
		err = resp.QueryResult.Get(&p)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newBulkView(id, p))
}

func newBulkView(id uuid.UUID, p workflows.BulkProgress) bulkView {
	v := bulkView{ID: id, WorkflowID: workflows.BulkWorkflowID(id), Action: p.Action, Finished: p.Finished,
		Items: p.Items, Counts: map[string]int{}}
	for _, it := range p.Items {
		v.Counts[it.Status]++
	}
	return v
}
