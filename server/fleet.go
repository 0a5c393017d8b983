package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/workflows"
)

type fleetMigrationRequest struct {
	Canary      *int `json:"canary,omitempty"`       // tenants migrated one at a time first (default 3)
	Parallel    *int `json:"parallel,omitempty"`     // databases at once per server (default 4)
	MaxFailures *int `json:"max_failures,omitempty"` // more failures than this pause the rollout (default 0)
}

type fleetFailure struct {
	TenantID uuid.UUID `json:"tenant_id"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
}

type fleetMigrationView struct {
	ID            uuid.UUID      `json:"id"`
	Status        string         `json:"status"` // running, paused, completed, failed, aborted
	PausedReason  *string        `json:"paused_reason"`
	TargetVersion int64          `json:"target_version"`
	Total         int32          `json:"total"`
	Migrated      int            `json:"migrated"`
	Failed        int            `json:"failed"`
	Skipped       int            `json:"skipped"`
	Failures      []fleetFailure `json:"failures"`
	Canary        int32          `json:"canary"`
	Parallel      int32          `json:"parallel"`
	MaxFailures   int32          `json:"max_failures"`
	StartedBy     string         `json:"started_by"`
	CreatedAt     time.Time      `json:"created_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
}

type fleetMigrationList struct {
	Migrations []fleetMigrationView `json:"migrations"`
}

// startFleetMigration rolls the tenant migrations out to every tenant
// database behind them; one rollout at a time.
func (s *Server) startFleetMigration(c echo.Context) error {
	var req fleetMigrationRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	o := workflows.DefaultFleetOptions
	bad := map[string]string{}
	for name, v := range map[string]struct {
		in       *int
		to       *int
		min, max int
	}{"canary": {req.Canary, &o.Canary, 0, 100}, "parallel": {req.Parallel, &o.Parallel, 1, 32}, "max_failures": {req.MaxFailures, &o.MaxFailures, 0, 100000}} {
		if v.in == nil {
			continue
		}
		if *v.in < v.min || *v.in > v.max {
			bad[name] = "must be between " + strconv.Itoa(v.min) + " and " + strconv.Itoa(v.max)
		}
		*v.to = *v.in
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	id, err := workflows.StartFleetMigration(c.Request().Context(), s.temporal, s.q, s.taskQueue, o, principalOf(c).actor())
	if errors.Is(err, workflows.ErrRolloutOpen) {
		return conflict("a fleet migration is already running or paused: resume or abort it first")
	}
	if err != nil {
		return err
	}
	return s.renderFleetMigration(c, http.StatusAccepted, id)
}

// listFleetMigrations is the rollouts, newest first.
func (s *Server) listFleetMigrations(c echo.Context) error {
	rows, err := s.q.FleetMigrationList(c.Request().Context(), 20)
	if err != nil {
		return err
	}
	out := fleetMigrationList{Migrations: make([]fleetMigrationView, 0, len(rows))}
	for _, r := range rows {
		v, err := s.fleetMigrationView(c, r)
		if err != nil {
			return err
		}
		out.Migrations = append(out.Migrations, v)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getFleetMigration(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return notFound("fleet migration")
	}
	return s.renderFleetMigration(c, http.StatusOK, id)
}

// signalFleetMigration pauses, resumes or aborts a rollout; the rollout
// records its new status as it takes the signal.
func (s *Server) signalFleetMigration(signal string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := uuid.Parse(c.Param("id"))
		if err != nil {
			return notFound("fleet migration")
		}
		ctx := c.Request().Context()
		m, err := s.q.FleetMigrationGet(ctx, id)
		if err != nil {
			return db.NotFound(err)
		}
		if m.Status != "running" && m.Status != "paused" {
			return conflict("the fleet migration is " + m.Status)
		}
		if err := s.temporal.SignalWorkflow(ctx, workflows.FleetMigrationWorkflowID(id), "", signal, nil); err != nil {
			return err
		}
		return s.renderFleetMigration(c, http.StatusAccepted, id)
	}
}

func (s *Server) renderFleetMigration(c echo.Context, status int, id uuid.UUID) error {
	m, err := s.q.FleetMigrationGet(c.Request().Context(), id)
	if err != nil {
		return db.NotFound(err)
	}
	v, err := s.fleetMigrationView(c, m)
	if err != nil {
		return err
	}
	return c.JSON(status, v)
}

func (s *Server) fleetMigrationView(c echo.Context, m db.FleetMigration) (fleetMigrationView, error) {
	ctx := c.Request().Context()
	v := fleetMigrationView{ID: m.ID, Status: m.Status, PausedReason: m.PausedReason, TargetVersion: m.TargetVersion, Total: m.Total,
		Canary: m.Canary, Parallel: m.Parallel, MaxFailures: m.MaxFailures, StartedBy: m.StartedBy, CreatedAt: m.CreatedAt,
		FinishedAt: m.FinishedAt, Failures: []fleetFailure{}}
	o, err := s.q.FleetOutcomesOf(ctx, m.ID)
	if err != nil {
		return v, err
	}
	v.Migrated, v.Failed, v.Skipped = o.Migrated, o.Failed, o.Skipped
	failures, err := s.q.FleetMigrationFailures(ctx, db.FleetMigrationFailuresParams{FleetID: m.ID, RowLimit: 100})
	if err != nil {
		return v, err
	}
	for _, f := range failures {
		v.Failures = append(v.Failures, fleetFailure{TenantID: f.TenantID, Error: deref(f.Error), At: f.At})
	}
	return v, nil
}
