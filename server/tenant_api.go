package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/token"
)

// tenantCtx is a tenant-API request's tenant and a pool on its own database,
// connected as its own role.
type tenantCtx struct {
	info db.TenantConnInfoRow
	pool *pgxpool.Pool
}

// tenantDB resolves the tenant of a tenant-admin token (never of the path).
func (s *Server) tenantDB(c echo.Context) (tenantCtx, error) {
	p := principalOf(c)
	if p.Role != token.RoleTenantAdmin {
		return tenantCtx{}, forbidden("a tenant admin token is required: the tenant comes from the token")
	}
	ctx := c.Request().Context()
	t, err := s.openTenant(ctx, p.TenantID)
	if errors.Is(err, db.ErrNotFound) {
		return tenantCtx{}, unavailable("the tenant has no database yet")
	}
	return t, err
}

// openTenant loads a tenant's limits and placement and its pool.
// What it read is reused for freshFor (hotCaches).
func (s *Server) openTenant(ctx context.Context, id uuid.UUID) (tenantCtx, error) {
	info, ok := s.hot.tenants.get(id)
	if !ok {
		err := db.InTenantScope(ctx, s.pool, id, func(q *db.Queries) (err error) {
			info, err = q.TenantConnInfo(ctx, id) // its usage snapshot is a tenant-scoped row
			return err
		})
		if err != nil {
			return tenantCtx{}, db.NotFound(err)
		}
		s.hot.tenants.put(id, info)
	}
	pool, err := s.pools.Get(ctx, info.ID, tenantdb.Server{Host: info.Host, Port: int(info.Port)}, func() (string, error) {
		pw, err := s.box.Open(info.DatabasePasswordEnc)
		return string(pw), err
	})
	if err != nil {
		return tenantCtx{}, err
	}
	return tenantCtx{info: info, pool: pool}, nil
}

// limitsOf reads the tenant's limits as they are when a write asks, after it
// took its lock in the tenant database, not as they were when the request began.
func (s *Server) limitsOf(id uuid.UUID) tenantdb.LimitsFunc {
	return func(ctx context.Context) (tenantdb.Limits, error) {
		l, err := s.q.TenantLimits(ctx, id)
		if err != nil {
			return tenantdb.Limits{}, fmt.Errorf("read limits of %s: %w", id, err)
		}
		out := tenantdb.Limits{MaxCompanies: int64(l.MaxCompanies), MaxUsersPerCompany: int64(l.MaxUsersPerCompany)}
		if l.MaxTotalUsers != nil {
			out.MaxTotalUsers = ptr(int64(*l.MaxTotalUsers))
		}
		return out, nil
	}
}

// tenantError turns what the tenant database said into the API's answer.
func (s *Server) tenantError(c echo.Context, t tenantCtx, err error) error {
	var limit *tenantdb.LimitError
	switch {
	case errors.Is(err, tenantdb.ErrNotFound):
		return notFound("resource")
	case errors.Is(err, tenantdb.ErrDuplicate):
		return conflict("it already exists")
	case errors.As(err, &limit):
		details := map[string]any{"limit": limit.Limit, "used": limit.Used, "allowed": limit.Allowed, "plan": t.info.PlanCode}
		if up := s.planAllowing(c, limit.Limit, limit.Used+1); up != "" {
			details["upgrade_to"] = up
		}
		return &APIError{Status: http.StatusForbidden, Code: "limit_exceeded", Message: "the plan's " + limit.Limit + " is reached", Details: details}
	case tenantdb.Unreachable(err):
		s.pools.Forget(t.info.ID)
		// A suspension closes the database: what this process last read of the
		// tenant may be out of date, so it is read again and a suspended
		// tenant told so rather than that its database is down.
		s.hot.tokens.clear()
		s.hot.tenants.clear()
		if now, rerr := s.openTenant(c.Request().Context(), t.info.ID); rerr == nil {
			if serr := tenantMayCall(now.info.Status, c.Request().Method, c.Path()); serr != nil {
				return serr
			}
		}
		s.log.Warn("tenant database unavailable", "tenant", t.info.ID, "error", err)
		return unavailable("the tenant's database is unavailable")
	}
	return err
}

// planAllowing is the first plan (in the plans' order) whose limit allows n.
func (s *Server) planAllowing(c echo.Context, limit string, n int64) string {
	plans, err := s.q.PlanList(c.Request().Context())
	if err != nil {
		return ""
	}
	for _, p := range plans {
		var allowed *int32
		switch limit {
		case "max_companies":
			allowed = &p.MaxCompanies
		case "max_users_per_company":
			allowed = &p.MaxUsersPerCompany
		case "max_total_users":
			allowed = p.MaxTotalUsers
		case "max_transactions_per_month":
			allowed = &p.MaxTransactionsPerMonth
		}
		if p.TrialDays == 0 && (allowed == nil || int64(*allowed) >= n) {
			return p.PlanCode
		}
	}
	return ""
}

// inTenant runs fn against the caller's tenant database and turns what that
// database says into the API's answer. what names the :id the route takes, if any.
func (s *Server) inTenant(c echo.Context, what string, fn func(ctx context.Context, t tenantCtx, id uuid.UUID) error) error {
	var id uuid.UUID
	if what != "" {
		var err error
		if id, err = idParam(c, what); err != nil {
			return err
		}
	}
	t, err := s.tenantDB(c)
	if err != nil {
		return err
	}
	if err := fn(c.Request().Context(), t, id); err != nil {
		return s.tenantError(c, t, err)
	}
	return nil
}

func (s *Server) listCompanies(c echo.Context) error {
	return s.inTenant(c, "", func(ctx context.Context, t tenantCtx, _ uuid.UUID) error {
		cs, err := tenantdb.ListCompanies(ctx, t.pool)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, companyList{Companies: cs})
	})
}

var companyCodeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

type companyRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type userRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type transactionRequest struct {
	CompanyID   uuid.UUID `json:"company_id"`
	AmountCents *int64    `json:"amount_cents"`
	Memo        string    `json:"memo"`
}

func (s *Server) createCompany(c echo.Context) error {
	var req companyRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	bad := map[string]string{}
	if !companyCodeRe.MatchString(req.Code) {
		bad["code"] = "must be 1 to 50 lowercase letters, digits, '-' or '_'"
	}
	if p := validName(req.Name, 200); p != "" {
		bad["name"] = p
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	return s.inTenant(c, "", func(ctx context.Context, t tenantCtx, _ uuid.UUID) error {
		co, err := tenantdb.CreateCompany(ctx, t.pool, req.Code, req.Name, s.limitsOf(t.info.ID))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, co)
	})
}

func idParam(c echo.Context, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, notFound(what)
	}
	return id, nil
}

func (s *Server) getCompany(c echo.Context) error {
	return s.inTenant(c, "company", func(ctx context.Context, t tenantCtx, id uuid.UUID) error {
		co, err := tenantdb.GetCompany(ctx, t.pool, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, co)
	})
}

func (s *Server) deleteCompany(c echo.Context) error {
	return s.inTenant(c, "company", func(ctx context.Context, t tenantCtx, id uuid.UUID) error {
		if err := tenantdb.DeleteCompany(ctx, t.pool, id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
}

func (s *Server) listUsers(c echo.Context) error {
	return s.inTenant(c, "company", func(ctx context.Context, t tenantCtx, id uuid.UUID) error {
		us, err := tenantdb.ListUsers(ctx, t.pool, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, userList{Users: us})
	})
}

func (s *Server) createUser(c echo.Context) error {
	id, err := idParam(c, "company")
	if err != nil {
		return err
	}
	var req userRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	req.Email, req.Name = strings.TrimSpace(req.Email), strings.TrimSpace(req.Name)
	bad := map[string]string{}
	if p := validEmail(req.Email); p != "" {
		bad["email"] = p
	}
	if p := validName(req.Name, 200); p != "" {
		bad["name"] = p
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	return s.inTenant(c, "", func(ctx context.Context, t tenantCtx, _ uuid.UUID) error {
		u, err := tenantdb.CreateUser(ctx, t.pool, id, req.Email, req.Name, s.limitsOf(t.info.ID))
		if err != nil {
			return err
		}
		// The invitation: a link that sets the new user's first password.
		if err := s.sendSignInLink(ctx, t.info.ID, u, activities.LinkInvitation, "first"); err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, u)
	})
}

func (s *Server) deleteUser(c echo.Context) error {
	return s.inTenant(c, "user", func(ctx context.Context, t tenantCtx, id uuid.UUID) error {
		if err := tenantdb.DeleteUser(ctx, t.pool, id); err != nil {
			return err
		}
		if err := s.endUserSessions(ctx, s.q, t.info.ID, id, revokedUserRemoved); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
}

// resendInvitation is POST /v1/users/{id}/invitation, for the tenant's
// admin: a user who has not set a password yet is sent a new invitation
// (at most one every 10 minutes: asked again, the same one is not sent
// twice); one who has is 409 (it can reset its password).
func (s *Server) resendInvitation(c echo.Context) error {
	return s.inTenant(c, "user", func(ctx context.Context, t tenantCtx, id uuid.UUID) error {
		u, err := tenantdb.UserCredentials(ctx, t.pool, id)
		if err != nil {
			return err
		}
		if u.PasswordHash != "" {
			return conflict("the user has set a password; it can ask for a reset")
		}
		if err := s.sendSignInLink(ctx, t.info.ID, u.User, activities.LinkInvitation, "again-"+linkWindow()); err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, map[string]string{"status": "accepted", "message": "a new invitation is on its way"})
	})
}

// storageHardStop is how far past its storage limit a tenant may still post:
// storage is a soft limit, warned about from 90%.
const storageHardStop = 1.2

func (s *Server) postTransaction(c echo.Context) error {
	var req transactionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	bad := map[string]string{}
	if req.CompanyID == uuid.Nil {
		bad["company_id"] = "is required"
	}
	if req.AmountCents == nil || *req.AmountCents < -1e12 || *req.AmountCents > 1e12 {
		bad["amount_cents"] = "must be a whole number of cents within ±10^12"
	}
	if len(req.Memo) > 500 || strings.ContainsFunc(req.Memo, func(r rune) bool { return r < 0x20 && r != '\t' }) {
		bad["memo"] = "must be at most 500 bytes without control characters"
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	return s.inTenant(c, "", func(ctx context.Context, t tenantCtx, _ uuid.UUID) error {
		if limit := float64(t.info.MaxStorageGb) * (1 << 30); float64(t.info.StorageBytes) > limit*storageHardStop {
			return &APIError{Status: http.StatusForbidden, Code: "limit_exceeded", Message: "storage is over 120% of the plan's limit",
				Details: map[string]any{"limit": "max_storage_gb", "used": t.info.StorageBytes, "allowed": int64(limit), "plan": t.info.PlanCode}}
		}
		tx, err := tenantdb.PostTransaction(ctx, t.pool, req.CompanyID, *req.AmountCents, req.Memo, time.Now(), int64(t.info.MaxTransactionsPerMonth))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, tx)
	})
}

type usedLimit struct {
	Used  int64  `json:"used"`
	Limit *int64 `json:"limit"`
}

func limitOf(n int32) *int64 { return ptr(int64(n)) }

func ptr[T any](v T) *T { return &v }

// getUsage is a tenant's use of each limit of its plan, read from its database now.
func (s *Server) getUsage(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	t, err := s.openTenant(c.Request().Context(), id)
	if err != nil {
		return err
	}
	info := t.info
	now := time.Now().UTC()
	u, err := tenantdb.Measure(c.Request().Context(), t.pool, now)
	if err != nil {
		return s.tenantError(c, t, err)
	}
	perCompany := map[string]usedLimit{}
	for company, n := range u.UsersPerCompany {
		perCompany[company] = usedLimit{Used: n, Limit: limitOf(info.MaxUsersPerCompany)}
	}
	var totalUsers *int64
	if info.MaxTotalUsers != nil {
		totalUsers = limitOf(*info.MaxTotalUsers)
	}
	return c.JSON(http.StatusOK, usageResponse{TenantID: id, Month: now.Format("2006-01"), PlanCode: info.PlanCode,
		Companies:             usedLimit{Used: u.Companies, Limit: limitOf(info.MaxCompanies)},
		Users:                 usedLimit{Used: u.Users, Limit: totalUsers},
		UsersPerCompany:       perCompany,
		TransactionsThisMonth: usedLimit{Used: u.TransactionsMonth, Limit: limitOf(info.MaxTransactionsPerMonth)},
		StorageBytes:          usedLimit{Used: u.StorageBytes, Limit: ptr(int64(info.MaxStorageGb) << 30)},
	})
}
