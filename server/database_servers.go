package server

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

func (s *Server) listDatabaseServers(c echo.Context) error {
	rows, err := s.q.DatabaseServerList(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]databaseServerView, 0, len(rows))
	for _, r := range rows {
		out = append(out, newDatabaseServerView(db.DatabaseServer{ID: r.ID, Name: r.Name, Host: r.Host, Port: r.Port, Kind: r.Kind,
			Status: r.Status, MaxTenants: r.MaxTenants, CreatedAt: r.CreatedAt, AdminUser: r.AdminUser, Tls: r.Tls,
			CheckedAt: r.CheckedAt, CheckError: r.CheckError}, r.TenantCount))
	}
	return c.JSON(http.StatusOK, databaseServerList{DatabaseServers: out})
}

type databaseServerRequest struct {
	Name          string `json:"name"`
	Host          string `json:"host"`
	Port          int32  `json:"port"`
	Kind          string `json:"kind"`
	MaxTenants    int32  `json:"max_tenants"`
	AdminUser     string `json:"admin_user"`
	AdminPassword string `json:"admin_password"`
	TLS           string `json:"tls"`
}

var (
	serverNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	hostRe       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
	roleNameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// checkTimeout bounds how long registering a server waits for it to answer.
const checkTimeout = 10 * time.Second

// createDatabaseServer registers another PostgreSQL server for tenant
// databases. It starts pending and becomes active only once landlord has
// logged in and found what it needs (checked now, and again on request): a
// registration takes no tenant on the operator's word. Away from this
// machine a server must have its own login (its password sealed like
// tenants') and TLS that verifies its certificate.
func (s *Server) createDatabaseServer(c echo.Context) error {
	var req databaseServerRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	local := tenantdb.Loopback(req.Host)
	if req.Kind == "" {
		req.Kind = "shared"
	}
	if req.Port == 0 {
		req.Port = 5432
	}
	if req.MaxTenants == 0 {
		req.MaxTenants = 500
	}
	if req.TLS == "" {
		req.TLS = "verify-full"
		if local {
			req.TLS = "disable"
		}
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
	switch {
	case req.TLS != "verify-full" && req.TLS != "disable":
		bad["tls"] = "must be verify-full or disable"
	case req.TLS == "disable" && !local:
		bad["tls"] = "must be verify-full for a server away from this machine"
	}
	switch {
	case req.AdminUser == "" && req.AdminPassword == "" && !local:
		bad["admin_user"] = "is required for a server away from this machine (landlord sends its own login nowhere else)"
	case req.AdminUser != "" && !roleNameRe.MatchString(req.AdminUser):
		bad["admin_user"] = "must be a role name: a letter or '_', then letters, digits or '_'"
	case (req.AdminUser == "") != (req.AdminPassword == ""):
		bad["admin_password"] = "goes with admin_user"
	case len(req.AdminPassword) > 256:
		bad["admin_password"] = "must be at most 256 characters"
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	arg := db.DatabaseServerCreateParams{Name: req.Name, Host: req.Host, Port: req.Port, Kind: req.Kind,
		MaxTenants: req.MaxTenants, Tls: req.TLS}
	if req.AdminUser != "" {
		arg.AdminUser, arg.AdminPasswordEnc = &req.AdminUser, s.box.Seal([]byte(req.AdminPassword))
	}
	srv, err := s.q.DatabaseServerCreate(c.Request().Context(), arg)
	if _, dup := db.UniqueViolation(err); dup {
		return conflict("a database server with that name or address exists")
	}
	if err != nil {
		return err
	}
	checked, err := s.checkServer(c, srv, req.AdminPassword)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, newDatabaseServerView(checked, 0))
}

// recheckDatabaseServer checks a server again: a pending one that passes becomes active.
func (s *Server) recheckDatabaseServer(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return notFound("database server")
	}
	srv, err := s.q.DatabaseServerGet(c.Request().Context(), id)
	if err != nil {
		return db.NotFound(err)
	}
	var password string
	if srv.AdminPasswordEnc != nil {
		pw, err := s.box.Open(srv.AdminPasswordEnc)
		if err != nil {
			return err
		}
		password = string(pw)
	}
	checked, err := s.checkServer(c, srv, password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newDatabaseServerView(checked, 0))
}

// checkServer logs in to srv as registered and records what it found.
func (s *Server) checkServer(c echo.Context, srv db.DatabaseServer, password string) (db.DatabaseServer, error) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), checkTimeout)
	defer cancel()
	login := tenantdb.Login{TLS: srv.Tls == "verify-full", Roots: s.tenantDBRoots, Password: password}
	if srv.AdminUser != nil {
		login.User = *srv.AdminUser
	}
	arg := db.DatabaseServerRecordCheckParams{ID: srv.ID}
	if err := s.pools.Servers().Check(ctx, tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}, login); err != nil {
		msg := err.Error()
		arg.CheckError = &msg
	}
	return s.q.DatabaseServerRecordCheck(context.WithoutCancel(c.Request().Context()), arg)
}
