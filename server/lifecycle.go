package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/workflows"
)

type suspendRequest struct {
	Reason string `json:"reason"`
}

type graceRequest struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// suspendTenant is an operator suspending a tenant with a reason.
func (s *Server) suspendTenant(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req suspendRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if problem := validName(req.Reason, 200); problem != "" {
		return invalidFields(map[string]string{"reason": problem})
	}
	in := workflows.SuspendInput{TenantID: id, Reason: req.Reason, Actor: principalOf(c).actor()}
	var res workflows.SuspendResult
	return s.runAndRender(c, id, workflows.SuspendWorkflowID(id), workflows.Suspend, in, &res, func() (bool, string) {
		return res.Suspended, "the tenant is not live: nothing to suspend"
	})
}

// reactivateTenant is an operator letting a suspended or cancelled tenant back
// to the status it left.
func (s *Server) reactivateTenant(c echo.Context) error {
	var req reasonRequest
	id, reason, err := tenantAction(c, &req, &req.Reason)
	if err != nil {
		return err
	}
	in := workflows.ReactivateInput{TenantID: id, Actor: principalOf(c).actor(), Force: true, Policy: s.policy}
	if err := s.recordRequest(c.Request().Context(), id, in.Actor, "REACTIVATION_REQUESTED", reason, nil); err != nil {
		return err
	}
	var res activities.Reactivation
	return s.runAndRender(c, id, workflows.ReactivateWorkflowID(id), workflows.Reactivate, in, &res, func() (bool, string) {
		return res.Reactivated, "the tenant is neither suspended nor cancelled"
	})
}

// runAndRender runs a lifecycle workflow and answers with the tenant, or 409
// when the workflow found nothing to do.
func (s *Server) runAndRender(c echo.Context, id uuid.UUID, wfID string, wf, in, out any, changed func() (bool, string)) error {
	ctx := c.Request().Context()
	if _, err := s.q.TenantGet(ctx, id); err != nil {
		return db.NotFound(err)
	}
	done, err := s.runWorkflow(ctx, wfID, wf, in, out)
	if err != nil {
		return workflowError(err, "the same change for this tenant is already running")
	}
	if !done {
		return c.JSON(http.StatusAccepted, workflowRunning{WorkflowID: wfID, Status: "running"})
	}
	if ok, why := changed(); !ok {
		return conflict(why)
	}
	return s.renderTenant(c, id)
}

// deleteTenant cancels a tenant now and archives it after the retention period.
func (s *Server) deleteTenant(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	reason, err := reasonFor(c, c.QueryParam("reason"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return db.NotFound(err)
	}
	if !t.Status.MayBeDeleted() {
		return conflict("a " + string(t.Status) + " tenant cannot be deleted")
	}
	// A cancelled tenant's offboarding is joined. A tenant that is not
	// cancelled has none worth joining: one still running was left behind by a
	// reactivation (or is an unpaid one still warning), so this DELETE replaces it.
	conflictPolicy := enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
	if t.Status == lifecycle.Cancelled {
		conflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	}
	if err := s.recordRequest(ctx, id, principalOf(c).actor(), "CANCELLATION_REQUESTED", reason, nil); err != nil {
		return err
	}
	wfID := workflows.OffboardingWorkflowID(id)
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfID, TaskQueue: s.taskQueue, WorkflowIDConflictPolicy: conflictPolicy,
	}, workflows.Offboarding, workflows.OffboardingInput{TenantID: id, Reason: workflows.OffboardRequested,
		Actor: principalOf(c).actor(), Policy: s.policy})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, offboardingStarted{WorkflowID: wfID, Status: "cancelling",
		ArchiveAfter: time.Now().Add(s.policy.Retention).UTC()})
}

// extendGrace moves a past-due tenant's suspension deadline.
func (s *Server) extendGrace(c echo.Context) error {
	var req graceRequest
	id, reason, err := tenantAction(c, &req, &req.Reason)
	if err != nil {
		return err
	}
	if err := checkUntil(req.Until); err != nil {
		return err
	}
	details, _ := json.Marshal(map[string]string{"until": req.Until.UTC().Format(time.RFC3339), "reason": reason})
	actor := principalOf(c).actor()
	err = db.InOperatorScope(c.Request().Context(), s.pool, func(q *db.Queries) error {
		t, err := q.TenantSetGrace(c.Request().Context(), db.TenantSetGraceParams{ID: id, GraceUntil: &req.Until})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return conflict("only a past-due tenant has a grace period")
		}
		if err != nil {
			return err
		}
		return q.AuditInsert(c.Request().Context(), db.AuditInsertParams{TenantID: &t.ID, Actor: actor, Action: "GRACE_EXTENDED",
			Details: details})
	})
	if err != nil {
		return err
	}
	return s.renderTenant(c, id)
}

type backupView struct {
	ID         uuid.UUID `json:"id"`
	Database   string    `json:"database"`
	Path       string    `json:"path"`
	SizeBytes  int64     `json:"size_bytes"`
	SHA256     string    `json:"sha256"`
	VerifiedAt time.Time `json:"verified_at"`
	CreatedAt  time.Time `json:"created_at"`
}

func (s *Server) listBackups(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	rows, err := s.q.TenantBackupList(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := make([]backupView, 0, len(rows))
	for _, b := range rows {
		out = append(out, backupView{ID: b.ID, Database: b.DatabaseName, Path: b.Path, SizeBytes: b.SizeBytes,
			SHA256: b.Sha256, VerifiedAt: b.VerifiedAt, CreatedAt: b.CreatedAt})
	}
	return c.JSON(http.StatusOK, backupList{Backups: out})
}

// runSweep starts a sweep now; a manual run already going is joined.
func (s *Server) runSweep(c echo.Context) error {
	name := c.Param("name")
	if !slices.Contains(workflows.SweepNames, name) {
		return notFound("sweep")
	}
	run, err := s.temporal.ExecuteWorkflow(c.Request().Context(), client.StartWorkflowOptions{
		ID: workflows.SweepWorkflowID(name, s.taskQueue), TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.Sweep, workflows.SweepInput{Name: name, Policy: s.policy})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return conflict("this sweep is already running")
	}
	if err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(c.Request().Context(), s.workflowWait)
	defer cancel()
	var res workflows.SweepResult
	if err := run.Get(wait, &res); err != nil {
		if stillRunning(wait, err) {
			return c.JSON(http.StatusAccepted, workflowRunning{WorkflowID: run.GetID(), Status: "running"})
		}
		return err
	}
	return c.JSON(http.StatusOK, sweepRun{WorkflowID: run.GetID(), Started: res.Started, Seen: res.Seen, Opened: res.Opened})
}

type alertView struct {
	ID        int64           `json:"id"`
	TenantID  uuid.UUID       `json:"tenant_id"`
	Rule      string          `json:"rule"`
	Period    string          `json:"period"`
	Details   json.RawMessage `json:"details"`
	CreatedAt time.Time       `json:"created_at"`
}

// listAlerts is the alerts fired, newest first: an operator sees every
// tenant's (or one's, ?tenant_id), a tenant admin its own.
func (s *Server) listAlerts(c echo.Context) error {
	limit, err := limitParam(c, 100, 500)
	if err != nil {
		return err
	}
	arg := db.AlertListParams{RowLimit: int32(limit)}
	if p := principalOf(c); p.Role != token.RoleOperator {
		arg.TenantID = &p.TenantID
	} else if v := c.QueryParam("tenant_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return invalidFields(map[string]string{"tenant_id": "must be a tenant id"})
		}
		arg.TenantID = &id
	}
	var rows []db.Alert
	err = s.scoped(c, func(q *db.Queries) (err error) {
		rows, err = q.AlertList(c.Request().Context(), arg)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]alertView, 0, len(rows))
	for _, a := range rows {
		out = append(out, alertView{ID: a.ID, TenantID: a.TenantID, Rule: a.Rule, Period: a.Period, Details: a.Details, CreatedAt: a.CreatedAt})
	}
	return c.JSON(http.StatusOK, alertList{Alerts: out})
}
