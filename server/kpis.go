package server

import (
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
)

type serverUse struct {
	Name         string `json:"name"`
	Tenants      int32  `json:"tenants"`
	StorageBytes int64  `json:"storage_bytes"`
}

// kpis are the seed document's business metrics for one month (UTC),
// computed from the status history, the invoices and the usage snapshots.
func (s *Server) kpis(c echo.Context) error {
	month := time.Now().UTC()
	if v := c.QueryParam("month"); v != "" {
		m, err := time.Parse("2006-01", v)
		if err != nil {
			return invalidFields(map[string]string{"month": "must be YYYY-MM"})
		}
		month = m
	}
	start := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	end, previous := start.AddDate(0, 1, 0), start.AddDate(0, -1, 0)
	ctx := c.Request().Context()

	atEnd, err := s.q.KPIPayingAt(ctx, end)
	if err != nil {
		return err
	}
	atStart, err := s.q.KPIPayingAt(ctx, start)
	if err != nil {
		return err
	}
	tr, err := s.q.KPITransitions(ctx, db.KPITransitionsParams{MonthStart: start, PreviousStart: previous, MonthEnd: end})
	if err != nil {
		return err
	}
	revenue, err := s.q.KPIRevenue(ctx, db.KPIRevenueParams{MonthStart: &start, MonthEnd: &end})
	if err != nil {
		return err
	}
	byStatus, err := s.q.KPITenantsByStatus(ctx)
	if err != nil {
		return err
	}
	byPlan, err := s.q.KPITenantsByPlan(ctx)
	if err != nil {
		return err
	}
	servers, err := s.q.KPIServers(ctx, start)
	if err != nil {
		return err
	}
	statuses := map[string]int32{}
	for _, r := range byStatus {
		statuses[r.Status] = r.Tenants
	}
	plans := map[string]int32{}
	for _, r := range byPlan {
		plans[r.PlanCode] = r.Tenants
	}
	use := make([]serverUse, 0, len(servers))
	for _, r := range servers {
		use = append(use, serverUse{Name: r.Name, Tenants: r.Tenants, StorageBytes: r.StorageBytes})
	}
	var arpu int64
	if atEnd.Paying > 0 {
		arpu = int64(math.Round(float64(atEnd.MrrCents) / float64(atEnd.Paying)))
	}
	return c.JSON(http.StatusOK, map[string]any{
		"month":                 start.Format("2006-01"),
		"mrr_cents":             atEnd.MrrCents,
		"arpu_cents":            arpu,
		"paying_tenants":        atEnd.Paying,
		"revenue_cents":         revenue,
		"new_tenants":           tr.NewTenants,
		"new_tenants_previous":  tr.NewTenantsBefore,
		"growth_mom":            ratio(tr.NewTenants-tr.NewTenantsBefore, tr.NewTenantsBefore),
		"trial_conversion_rate": ratio(tr.TrialsConverted, tr.TrialsEnded),
		"churn_rate":            ratio(tr.Churned, atStart.Paying),
		"tenants_by_status":     statuses,
		"tenants_by_plan":       plans,
		"database_servers":      use,
	})
}

// ratio is n/d to four places, or nil when d is zero (no base to compare with).
func ratio(n, d int32) *float64 {
	if d == 0 {
		return nil
	}
	r := math.Round(float64(n)/float64(d)*10000) / 10000
	return &r
}
