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
	var (
		atEnd, atStart db.KPIPayingAtRow
		tr             db.KPITransitionsRow
		revenue        int64
		byStatus       []db.KPITenantsByStatusRow
		byPlan         []db.KPITenantsByPlanRow
		servers        []db.KPIServersRow
	)
	err := db.InOperatorScope(ctx, s.pool, func(q *db.Queries) (err error) {
		if atEnd, err = q.KPIPayingAt(ctx, end); err != nil {
			return err
		}
		if atStart, err = q.KPIPayingAt(ctx, start); err != nil {
			return err
		}
		if tr, err = q.KPITransitions(ctx, db.KPITransitionsParams{MonthStart: start, PreviousStart: previous, MonthEnd: end}); err != nil {
			return err
		}
		if revenue, err = q.KPIRevenue(ctx, db.KPIRevenueParams{MonthStart: &start, MonthEnd: &end}); err != nil {
			return err
		}
		if byStatus, err = q.KPITenantsByStatus(ctx); err != nil {
			return err
		}
		if byPlan, err = q.KPITenantsByPlan(ctx); err != nil {
			return err
		}
		servers, err = q.KPIServers(ctx, start)
		return err
	})
	if err != nil {
		return err
	}
	statuses := map[string]int32{}
	for _, r := range byStatus {
		statuses[string(r.Status)] = r.Tenants
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
	return c.JSON(http.StatusOK, kpiResponse{
		Month: start.Format("2006-01"), MRRCents: atEnd.MrrCents, ARPUCents: arpu, PayingTenants: atEnd.Paying,
		RevenueCents: revenue, NewTenants: tr.NewTenants, NewTenantsPrevious: tr.NewTenantsBefore,
		GrowthMoM:           ratio(tr.NewTenants-tr.NewTenantsBefore, tr.NewTenantsBefore),
		TrialConversionRate: ratio(tr.TrialsConverted, tr.TrialsEnded),
		ChurnRate:           ratio(tr.Churned, atStart.Paying),
		TenantsByStatus:     statuses, TenantsByPlan: plans, DatabaseServers: use,
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
