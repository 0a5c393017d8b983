package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/workflows"
)

type moveRequest struct {
	Server string `json:"server"` // the database server's name
	Reason string `json:"reason"`
}

// moveTenant starts moving a tenant's database to another server; the move's
// progress is on the tenant's timeline (running), its outcome in the audit log.
func (s *Server) moveTenant(c echo.Context) error {
	var req moveRequest
	id, reason, err := tenantAction(c, &req, &req.Reason)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	srv, err := s.q.DatabaseServerGetByName(ctx, req.Server)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return invalidFields(map[string]string{"server": "is not a registered database server"})
	}
	if err != nil {
		return err
	}
	if srv.Status != "active" {
		return invalidFields(map[string]string{"server": "is " + srv.Status + ": only an active server takes tenants"})
	}
	actor := principalOf(c).actor()
	if err := s.recordRequest(ctx, id, actor, "MOVE_REQUESTED", reason, map[string]any{"server": srv.Name}); err != nil {
		return err
	}
	wfID := workflows.MoveWorkflowID(id)
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfID, TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, WorkflowExecutionErrorWhenAlreadyStarted: true},
		workflows.Move, workflows.MoveInput{MoveInput: activities.MoveInput{TenantID: id, Target: srv.ID, Actor: actor}, DropAfter: s.moveDropAfter})
	if err != nil {
		return workflowError(err, "this tenant is already moving")
	}
	return c.JSON(http.StatusAccepted, workflowRunning{WorkflowID: wfID, Status: "running"})
}
