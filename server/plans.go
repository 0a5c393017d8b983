package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) listPlans(c echo.Context) error {
	rows, err := s.q.PlanList(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]planView, 0, len(rows))
	for _, p := range rows {
		out = append(out, newPlanView(p))
	}
	return c.JSON(http.StatusOK, planList{Plans: out})
}
