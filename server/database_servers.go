package server

import (
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
)

func (s *Server) listDatabaseServers(c echo.Context) error {
	rows, err := s.q.DatabaseServerList(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]databaseServerView, 0, len(rows))
	for _, r := range rows {
		out = append(out, databaseServerView{ID: r.ID, Name: r.Name, Host: r.Host, Port: r.Port, Kind: r.Kind,
			Status: r.Status, MaxTenants: r.MaxTenants, TenantCount: r.TenantCount, CreatedAt: r.CreatedAt})
	}
	return c.JSON(http.StatusOK, map[string]any{"database_servers": out})
}

type databaseServerRequest struct {
	Name       string `json:"name"`
	Host       string `json:"host"`
	Port       int32  `json:"port"`
	Kind       string `json:"kind"`
	MaxTenants int32  `json:"max_tenants"`
}

var (
	serverNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	hostRe       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
)

// createDatabaseServer registers another PostgreSQL server for tenant databases.
// landlord reaches it with TENANT_DB_ADMIN_URL's credentials and builds the
// tenant template there on first use.
func (s *Server) createDatabaseServer(c echo.Context) error {
	var req databaseServerRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Kind == "" {
		req.Kind = "shared"
	}
	if req.Port == 0 {
		req.Port = 5432
	}
	if req.MaxTenants == 0 {
		req.MaxTenants = 500
	}
	bad := map[string]string{}
	if !serverNameRe.MatchString(req.Name) {
		bad["name"] = "must be 1 to 63 lowercase letters, digits, '-' or '_'"
	}
	if !hostRe.MatchString(req.Host) {
		bad["host"] = "must be a host name or IP address"
	}
	if req.Port < 1 || req.Port > 65535 {
		bad["port"] = "must be 1 to 65535"
	}
	if req.Kind != "shared" && req.Kind != "dedicated" {
		bad["kind"] = "must be shared or dedicated"
	}
	if req.MaxTenants < 1 {
		bad["max_tenants"] = "must be at least 1"
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	srv, err := s.q.DatabaseServerCreate(c.Request().Context(), db.DatabaseServerCreateParams{
		Name: req.Name, Host: req.Host, Port: req.Port, Kind: req.Kind, MaxTenants: req.MaxTenants})
	if _, dup := db.UniqueViolation(err); dup {
		return conflict("a database server with that name or address exists")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, databaseServerView{ID: srv.ID, Name: srv.Name, Host: srv.Host, Port: srv.Port,
		Kind: srv.Kind, Status: srv.Status, MaxTenants: srv.MaxTenants, CreatedAt: srv.CreatedAt})
}
