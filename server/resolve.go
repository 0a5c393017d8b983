package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
)

// resolution is what an ERP service learns of the tenant a request is for.
type resolution struct {
	TenantID   uuid.UUID        `json:"tenant_id"`
	TenantCode string           `json:"tenant_code"`
	Subdomain  string           `json:"subdomain"`
	Status     lifecycle.Status `json:"status"`
	// Serving says whether the ERP may serve the tenant's users; a tenant
	// that may not (suspended, cancelled) gets the ERP's page saying so.
	Serving  bool              `json:"serving"`
	Plan     resolvedPlan      `json:"plan"`               // its code and the limits in force
	Database *resolvedDatabase `json:"database,omitempty"` // only while serving
	Version  int64             `json:"version"`
}

type resolvedPlan struct {
	Code   string             `json:"code"`
	Limits resolvedPlanLimits `json:"limits"`
}

type resolvedPlanLimits struct {
	MaxCompanies            int32  `json:"max_companies"`
	MaxUsersPerCompany      int32  `json:"max_users_per_company"`
	MaxTotalUsers           *int32 `json:"max_total_users"`
	MaxTransactionsPerMonth int32  `json:"max_transactions_per_month"`
	MaxStorageGB            int32  `json:"max_storage_gb"`
	APICallsPerHour         int32  `json:"api_calls_per_hour"`
}

type resolvedDatabase struct {
	Host     string `json:"host"`
	Port     int32  `json:"port"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// resolve is GET /v1/resolve?host=… (or ?subdomain=…), for service tokens:
// the tenant a request to that host is for, as a snapshot carrying its
// version (also its ETag: a client that sends it back in If-None-Match gets
// 304 while nothing changed). Unknown hosts, and tenants without a database
// to serve from (provisioning, archiving, archived, failed), are 404.
func (s *Server) resolve(c echo.Context) error {
	sub, err := s.subdomainOf(c.QueryParam("host"), c.QueryParam("subdomain"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	row, err := s.q.TenantResolve(ctx, sub)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return notFound("tenant")
	}
	if err != nil {
		return err
	}
	etag := `"` + strconv.FormatInt(row.ResolveVersion, 10) + `"`
	c.Response().Header().Set("ETag", etag)
	c.Response().Header().Set("Cache-Control", "no-store") // it may carry a password
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	r := resolution{TenantID: row.ID, TenantCode: row.TenantCode, Subdomain: row.Subdomain, Status: row.Status,
		Serving: row.Status.IsLive(), Version: row.ResolveVersion,
		Plan: resolvedPlan{Code: row.PlanCode, Limits: resolvedPlanLimits{MaxCompanies: row.MaxCompanies,
			MaxUsersPerCompany: row.MaxUsersPerCompany, MaxTotalUsers: row.MaxTotalUsers,
			MaxTransactionsPerMonth: row.MaxTransactionsPerMonth, MaxStorageGB: row.MaxStorageGb,
			APICallsPerHour: row.ApiRateLimitPerHour}}}
	if r.Serving {
		if row.ServerHost == nil || row.DatabaseName == nil || row.DatabaseRole == nil || row.DatabasePasswordEnc == nil || s.box == nil {
			return fmt.Errorf("tenant %s is %s without a complete database placement", row.ID, row.Status)
		}
		plain, err := s.box.Open(row.DatabasePasswordEnc)
		if err != nil {
			return fmt.Errorf("open the database password of %s: %w", row.ID, err)
		}
		r.Database = &resolvedDatabase{Host: *row.ServerHost, Port: *row.ServerPort, Name: *row.DatabaseName,
			Role: *row.DatabaseRole, Password: string(plain)}
	}
	return c.JSON(http.StatusOK, r)
}

// subdomainOf is the subdomain a resolution asks for: given, or taken from a
// host (a port is ignored) that TENANT_URL_TEMPLATE's host would give; a host
// it would not give (www.example.com for {subdomain}.erp.example.com) is 404.
func (s *Server) subdomainOf(host, sub string) (string, error) {
	switch {
	case (host == "") == (sub == ""):
		return "", invalidFields(map[string]string{"host": "give host or subdomain, one of them"})
	case sub != "":
		return strings.ToLower(sub), nil
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	prefix, suffix := s.hostPrefix, s.hostSuffix
	if !strings.HasPrefix(host, prefix) || !strings.HasSuffix(host, suffix) || len(host) <= len(prefix)+len(suffix) {
		return "", notFound("tenant")
	}
	sub = host[len(prefix) : len(host)-len(suffix)]
	if strings.Contains(sub, ".") {
		return "", notFound("tenant")
	}
	return sub, nil
}

// tenantHost is what comes before and after {subdomain} in the host of
// TENANT_URL_TEMPLATE (tpl; empty: make run's http://{subdomain}.localhost).
func tenantHost(tpl string) (prefix, suffix string) {
	if tpl == "" {
		tpl = "http://{subdomain}.localhost"
	}
	host := tpl
	if u, err := url.Parse(strings.ReplaceAll(tpl, "{subdomain}", "subdomain-placeholder")); err == nil && u.Host != "" {
		host = strings.ReplaceAll(u.Hostname(), "subdomain-placeholder", "{subdomain}")
	}
	prefix, suffix, _ = strings.Cut(strings.ToLower(host), "{subdomain}")
	return prefix, suffix
}
