package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/google/uuid"
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

type drainStarted struct {
	WorkflowID string             `json:"workflow_id"`
	Server     databaseServerView `json:"server"`
}

// drainDatabaseServer stops new placements on a server and moves every
// tenant off it, a few at a time; running it again joins the drain going on
// (or starts one for the tenants a failed move left).
func (s *Server) drainDatabaseServer(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return notFound("database server")
	}
	var req reasonRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	reason, err := reasonFor(c, req.Reason)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	srv, err := s.q.DatabaseServerStartDraining(ctx, id)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		if _, gerr := s.q.DatabaseServerGet(ctx, id); gerr != nil {
			return db.NotFound(gerr)
		}
		return conflict("only an active server can be drained")
	}
	if err != nil {
		return err
	}
	actor := principalOf(c).actor()
	details, _ := json.Marshal(map[string]string{"server": srv.Name, "reason": reason})
	if err := db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		return q.AuditInsert(ctx, db.AuditInsertParams{Actor: actor, Action: "DATABASE_SERVER_DRAINING", Details: details})
	}); err != nil {
		return err
	}
	wfID := workflows.DrainWorkflowID(id)
	if _, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfID, TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, workflows.Drain,
		workflows.DrainInput{Server: id, Actor: actor, DropAfter: s.moveDropAfter}); err != nil {
		return err
	}
	tenants, err := s.q.TenantCount(ctx, db.TenantCountParams{ServerName: &srv.Name})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, drainStarted{WorkflowID: wfID, Server: newDatabaseServerView(srv, int32(tenants))})
}
