package server

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/workflows"
)

type trialExtendRequest struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// extendTrial moves a trial's end later; the trial end waiting for the old
// one reads the new one.
func (s *Server) extendTrial(c echo.Context) error {
	var req trialExtendRequest
	id, reason, err := tenantAction(c, &req, &req.Reason)
	if err != nil {
		return err
	}
	if err := checkUntil(req.Until); err != nil {
		return err
	}
	if _, err := s.moveTrialEnd(c, id, req.Until, "TRIAL_EXTENDED", reason); err != nil {
		return err
	}
	return s.renderTenant(c, id)
}

// endTrial ends a trial now: the tenant converts to its plan with a card on
// file, and is suspended without one, as when the trial runs out.
func (s *Server) endTrial(c echo.Context) error {
	var req reasonRequest
	id, reason, err := tenantAction(c, &req, &req.Reason)
	if err != nil {
		return err
	}
	run, err := s.moveTrialEnd(c, id, time.Now(), "TRIAL_ENDED_EARLY", reason)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(c.Request().Context(), s.workflowWait)
	defer cancel()
	var res workflows.TrialEndResult
	if err := run.Get(wctx, &res); err != nil {
		if stillRunning(wctx, err) {
			return c.JSON(http.StatusAccepted, workflowRunning{WorkflowID: workflows.TrialEndWorkflowID(id), Status: "running"})
		}
		return err
	}
	return s.renderTenant(c, id)
}

// moveTrialEnd sets a trial's end, audited with the reason (the same
// activity a bulk extension runs), and wakes its trial end (starting one if
// none runs) to read it.
func (s *Server) moveTrialEnd(c echo.Context, id uuid.UUID, until time.Time, action, reason string) (client.WorkflowRun, error) {
	ctx := c.Request().Context()
	if _, err := s.q.TenantGet(ctx, id); err != nil {
		return nil, db.NotFound(err)
	}
	moved, err := (&activities.Lifecycle{Pool: s.pool}).MoveTrialEnd(ctx, activities.MoveTrialEndInput{
		TenantID: id, Until: until, Action: action, Reason: reason, Actor: principalOf(c).actor()})
	if err != nil {
		return nil, err
	}
	if !moved {
		return nil, conflict("the tenant is not on a trial")
	}
	return s.temporal.SignalWithStartWorkflow(ctx, workflows.TrialEndWorkflowID(id), workflows.TrialEndRecheckSignal, nil,
		client.StartWorkflowOptions{ID: workflows.TrialEndWorkflowID(id), TaskQueue: s.taskQueue},
		workflows.TrialEnd, workflows.TrialEndInput{TenantID: id, Policy: s.policy})
}
