package server

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
)

// warmPoolServer is one database server's warm pool.
type warmPoolServer struct {
	ServerID   uuid.UUID `json:"server_id"`
	Server     string    `json:"server"`
	Status     string    `json:"status"`
	Ready      int32     `json:"ready"`        // claimable now: built from the server's current template
	Building   int32     `json:"building"`     // being built (or left half-built by a refill that died)
	Hits       int32     `json:"hits"`         // onboardings that claimed one, in the window
	Misses     int32     `json:"misses"`       // onboardings that had to build their database, in the window
	AvgBuildMs float64   `json:"avg_build_ms"` // of the databases built in the window; 0 when none were
}

// warmPool is every server's warm pool, with hits and misses over the last day.
type warmPool struct {
	Since   time.Time        `json:"since"`
	Servers []warmPoolServer `json:"servers"`
}

// getWarmPool shows each server's warm pool: how many pooled databases are
// ready and building, and how onboardings fared in the last 24 hours.
func (s *Server) getWarmPool(c echo.Context) error {
	since := time.Now().Add(-24 * time.Hour).UTC()
	rows, err := s.q.WarmPoolStats(c.Request().Context(), &since)
	if err != nil {
		return err
	}
	out := warmPool{Since: since, Servers: make([]warmPoolServer, 0, len(rows))}
	for _, r := range rows {
		out.Servers = append(out.Servers, warmPoolRow(r))
	}
	return c.JSON(http.StatusOK, out)
}

func warmPoolRow(r db.WarmPoolStatsRow) warmPoolServer {
	return warmPoolServer{ServerID: r.ID, Server: r.Name, Status: r.Status, Ready: r.Ready, Building: r.Building,
		Hits: r.Hits, Misses: r.Misses, AvgBuildMs: r.AvgBuildMs}
}
