package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/workflows"
)

// tenantView renders t; with progress, a tenant still provisioning asks its
// onboarding workflow how far it got.
func (s *Server) tenantView(ctx context.Context, t db.Tenant, progress bool) (tenantView, error) {
	var serverName *string
	if t.DatabaseServerID != nil {
		srv, err := s.q.DatabaseServerGet(ctx, *t.DatabaseServerID)
		if err != nil {
			return tenantView{}, err
		}
		serverName = &srv.Name
	}
	v := newTenantView(t, serverName)
	if progress {
		v.Onboarding = s.onboardingView(ctx, t)
	}
	return v, nil
}

func (s *Server) onboardingView(ctx context.Context, t db.Tenant) *onboardingView {
	switch t.Status {
	case lifecycle.Provisioning:
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var p workflows.OnboardingProgress
		resp, err := s.temporal.QueryWorkflow(qctx, workflows.OnboardingWorkflowID(t.ID), "", workflows.OnboardingProgressQuery)
		if err == nil {
			err = resp.Get(&p)
		}
		if err != nil {
			s.log.Warn("query onboarding progress", "tenant", t.ID, "error", err)
			return &onboardingView{Step: "unknown", Done: []string{}}
		}
		v := &onboardingView{Step: p.Step, Done: p.Done}
		if p.Error != "" {
			v.Error = &p.Error
		}
		if w, err := s.describeRunning(qctx, workflows.OnboardingWorkflowID(t.ID)); err == nil && w != nil {
			for _, a := range w.Pending {
				if a.Attempt > 1 {
					v.Retrying = &a
				}
			}
		}
		return v
	case lifecycle.Failed:
		return &onboardingView{Step: workflows.StepFailed, Done: []string{}, Error: t.OnboardingError}
	default:
		return &onboardingView{Step: workflows.StepDone, Done: workflows.OnboardingSteps}
	}
}

func (s *Server) getTenant(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	return s.renderTenant(c, id)
}

func (s *Server) renderTenant(c echo.Context, id uuid.UUID) error {
	ctx := c.Request().Context()
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return db.NotFound(err)
	}
	v, err := s.tenantView(ctx, t, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// me is the caller: a tenant admin sees its tenant.
func (s *Server) me(c echo.Context) error {
	p := principalOf(c)
	if p.Role == token.RoleOperator {
		return c.JSON(http.StatusOK, meResponse{Role: p.Role, TokenID: p.TokenID})
	}
	t, err := s.q.TenantGet(c.Request().Context(), p.TenantID)
	if err != nil {
		return db.NotFound(err)
	}
	v, err := s.tenantView(c.Request().Context(), t, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, meResponse{Role: p.Role, TokenID: p.TokenID, Tenant: &v})
}

// tenantCursor is where a page of tenants ends, in the order it was listed by.
type tenantCursor struct {
	CreatedAt time.Time `json:"c,omitzero"`
	Name      string    `json:"n,omitempty"`
	ID        uuid.UUID `json:"i"`
}

// listTenants pages through tenants: ?q (in the name, subdomain or admin
// email), ?status, ?plan, ?server, ?sort (created: newest first, the
// default; name: A to Z), ?limit, ?cursor (next_cursor of the page before).
// total counts every tenant the filters match.
func (s *Server) listTenants(c echo.Context) error {
	ctx := c.Request().Context()
	limit, err := limitParam(c, 50, 200)
	if err != nil {
		return err
	}
	filter, err := tenantFilter(c)
	if err != nil {
		return err
	}
	sortBy := c.QueryParam("sort")
	if sortBy != "" && sortBy != "created" && sortBy != "name" {
		return invalidFields(map[string]string{"sort": "must be created or name"})
	}
	var cur tenantCursor
	if v := c.QueryParam("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || json.Unmarshal(raw, &cur) != nil || cur.ID == uuid.Nil || (sortBy == "name") == (cur.Name == "") {
			return invalidFields(map[string]string{"cursor": "is not a cursor this API gave out for this order"})
		}
	}
	var rows []db.Tenant
	if sortBy == "name" {
		arg := db.TenantListByNameParams{Status: filter.Status, PlanCode: filter.PlanCode, ServerName: filter.ServerName,
			Search: filter.Search, RowLimit: int32(limit) + 1}
		if cur.ID != uuid.Nil {
			arg.AfterName, arg.AfterID = &cur.Name, &cur.ID
		}
		rows, err = s.q.TenantListByName(ctx, arg)
	} else {
		arg := db.TenantListParams{Status: filter.Status, PlanCode: filter.PlanCode, ServerName: filter.ServerName,
			Search: filter.Search, RowLimit: int32(limit) + 1}
		if cur.ID != uuid.Nil {
			arg.BeforeCreatedAt, arg.BeforeID = &cur.CreatedAt, &cur.ID
		}
		rows, err = s.q.TenantList(ctx, arg)
	}
	if err != nil {
		return err
	}
	total, err := s.q.TenantCount(ctx, filter)
	if err != nil {
		return err
	}
	servers, err := s.serverNames(ctx)
	if err != nil {
		return err
	}
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		at := tenantCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		if sortBy == "name" {
			at = tenantCursor{Name: strings.ToLower(last.TenantName), ID: last.ID}
		}
		raw, _ := json.Marshal(at)
		cur := base64.RawURLEncoding.EncodeToString(raw)
		next = &cur
	}
	out := make([]tenantView, 0, len(rows))
	for _, t := range rows {
		var name *string
		if t.DatabaseServerID != nil {
			if n, ok := servers[*t.DatabaseServerID]; ok {
				name = &n
			}
		}
		out = append(out, newTenantView(t, name))
	}
	return c.JSON(http.StatusOK, tenantList{Tenants: out, NextCursor: next, Total: total})
}

// tenantFilter reads the tenant list's filters: q, status, plan, server.
func tenantFilter(c echo.Context) (db.TenantCountParams, error) {
	var filter db.TenantCountParams
	for name, to := range map[string]**string{"status": &filter.Status, "plan": &filter.PlanCode, "server": &filter.ServerName} {
		if v := c.QueryParam(name); v != "" {
			*to = &v
		}
	}
	if q := strings.TrimSpace(c.QueryParam("q")); q != "" {
		if len(q) > 100 {
			return filter, invalidFields(map[string]string{"q": "must be at most 100 characters"})
		}
		pattern := "%" + likeEscaper.Replace(q) + "%"
		filter.Search = &pattern
	}
	return filter, nil
}

// likeEscaper makes a search term match itself in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

func (s *Server) serverNames(ctx context.Context) (map[uuid.UUID]string, error) {
	rows, err := s.q.DatabaseServerList(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[uuid.UUID]string, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Name
	}
	return m, nil
}

func limitParam(c echo.Context, def, max int) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, invalidFields(map[string]string{"limit": "must be a whole number from 1 to " + strconv.Itoa(max)})
	}
	return n, nil
}

type tokenRequest struct {
	Name string `json:"name"`
}

// createTenantToken mints another tenant-admin token; it is shown only in this answer.
func (s *Server) createTenantToken(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req tokenRequest
	if c.Request().ContentLength != 0 {
		if err := decode(c, &req); err != nil {
			return err
		}
	}
	if req.Name != "" {
		if problem := validName(req.Name, 100); problem != "" {
			return invalidFields(map[string]string{"name": problem})
		}
	}
	ctx := c.Request().Context()
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return db.NotFound(err)
	}
	if !t.Status.HoldsNames() {
		return conflict("tenant is " + string(t.Status))
	}
	plain, hash, prefix := token.New(token.RoleTenantAdmin)
	tokID, err := s.mintTenantToken(ctx, id, hash, prefix, req.Name, principalOf(c).actor())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenCreated{ID: tokID, Token: plain, Prefix: prefix, Role: token.RoleTenantAdmin, TenantID: id})
}

func (s *Server) listNotifications(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	limit, err := limitParam(c, 100, 500)
	if err != nil {
		return err
	}
	var rows []db.Notification
	err = s.scoped(c, func(q *db.Queries) (err error) {
		rows, err = q.NotificationListByTenant(c.Request().Context(), db.NotificationListByTenantParams{TenantID: &id, RowLimit: int32(limit)})
		return err
	})
	if err != nil {
		return err
	}
	out := make([]notificationView, 0, len(rows))
	for _, n := range rows {
		out = append(out, newNotificationView(n, principalOf(c).Role == token.RoleOperator))
	}
	return c.JSON(http.StatusOK, notificationList{Notifications: out})
}

// listAudit pages through a tenant's audit log newest first (?limit, ?before=id).
func (s *Server) listAudit(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	limit, err := limitParam(c, 100, 500)
	if err != nil {
		return err
	}
	arg := db.AuditListByTenantParams{TenantID: &id, RowLimit: int32(limit)}
	if v := c.QueryParam("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return invalidFields(map[string]string{"before": "must be an audit entry id"})
		}
		arg.BeforeID = &n
	}
	var rows []db.AuditLog
	err = s.scoped(c, func(q *db.Queries) (err error) {
		rows, err = q.AuditListByTenant(c.Request().Context(), arg)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]auditView, 0, len(rows))
	for _, a := range rows {
		out = append(out, auditView{ID: a.ID, Actor: a.Actor, Action: a.Action, Details: a.Details, CreatedAt: a.CreatedAt})
	}
	return c.JSON(http.StatusOK, auditList{Audit: out})
}

// mintTenantToken stores a tenant-admin token with who minted it and audits
// TOKEN_CREATED in the same transaction; storing the same hash again is a no-op
// that returns the token's id.
func (s *Server) mintTenantToken(ctx context.Context, tenantID uuid.UUID, hash []byte, prefix, name, mintedBy string) (uuid.UUID, error) {
	var id uuid.UUID
	err := db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		var err error
		if id, err = q.APITokenInsert(ctx, db.APITokenInsertParams{TokenHash: hash, Prefix: prefix, Role: token.RoleTenantAdmin,
			TenantID: &tenantID, Name: name, CreatedBy: mintedBy}); err != nil {
			return err
		}
		details, _ := json.Marshal(map[string]string{"token_id": id.String(), "role": token.RoleTenantAdmin, "name": name, "created_by": mintedBy})
		return q.AuditInsert(ctx, db.AuditInsertParams{TenantID: &tenantID, Actor: mintedBy, Action: "TOKEN_CREATED", Details: details})
	})
	return id, err
}
