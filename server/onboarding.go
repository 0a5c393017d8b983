package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/workflows"
)

type signupRequest struct {
	CompanyName string `json:"company_name"`
	Subdomain   string `json:"subdomain"`
	AdminEmail  string `json:"admin_email"`
	AdminName   string `json:"admin_name"`
	Phone       string `json:"phone"`
}

type createTenantRequest struct {
	signupRequest
	TenantCode   string `json:"tenant_code"`
	PlanCode     string `json:"plan_code"`
	BillingCycle string `json:"billing_cycle"`
}

// validate normalises the request and names every bad field.
func (r *createTenantRequest) validate() *APIError {
	r.Subdomain = strings.ToLower(strings.TrimSpace(r.Subdomain))
	r.AdminEmail = strings.TrimSpace(r.AdminEmail)
	r.CompanyName, r.AdminName = strings.TrimSpace(r.CompanyName), strings.TrimSpace(r.AdminName)
	bad := map[string]string{}
	check := func(field, problem string) {
		if problem != "" {
			bad[field] = problem
		}
	}
	check("company_name", validName(r.CompanyName, 200))
	check("subdomain", validSubdomain(r.Subdomain))
	check("admin_email", validEmail(r.AdminEmail))
	check("admin_name", validName(r.AdminName, 200))
	if r.Phone != "" {
		check("phone", validPhone(r.Phone))
	}
	if r.TenantCode == "" && bad["subdomain"] == "" {
		r.TenantCode = tenantCodeFor(r.Subdomain)
	}
	if r.TenantCode != "" {
		check("tenant_code", validTenantCode(r.TenantCode))
	}
	if r.BillingCycle == "" {
		r.BillingCycle = "monthly"
	}
	if r.BillingCycle != "monthly" && r.BillingCycle != "annual" {
		bad["billing_cycle"] = "must be monthly or annual"
	}
	if len(bad) > 0 {
		return invalidFields(bad)
	}
	return nil
}

type onboardResponse struct {
	Tenant     tenantView `json:"tenant"`
	AdminToken string     `json:"admin_token"`
}

// signup is the public signup: always the trial plan.
func (s *Server) signup(c echo.Context) error {
	var req createTenantRequest
	if err := decode(c, &req.signupRequest); err != nil {
		return err
	}
	req.PlanCode = "trial"
	if err := req.validate(); err != nil {
		return err
	}
	return s.onboard(c, req, "signup:"+c.RealIP())
}

// createTenant is an operator creating a tenant on any plan.
func (s *Server) createTenant(c echo.Context) error {
	var req createTenantRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.PlanCode == "" {
		req.PlanCode = "trial"
	}
	if err := req.validate(); err != nil {
		return err
	}
	return s.onboard(c, req, principalOf(c).actor())
}

// onboard starts the onboarding workflow and waits only until the tenant row is
// registered (update-with-start), so a taken subdomain is a synchronous 409 and
// the answer comes before the database is built.
func (s *Server) onboard(c echo.Context, req createTenantRequest, actor string) error {
	ctx := c.Request().Context()
	if plan, err := s.q.PlanGet(ctx, req.PlanCode); err != nil || !plan.IsActive {
		if err != nil && !errors.Is(db.NotFound(err), db.ErrNotFound) {
			return err
		}
		return invalidFields(map[string]string{"plan_code": "is not an available plan"})
	}
	tenantID := uuid.New()
	plain, hash, prefix := token.New(token.RoleTenantAdmin)
	in := workflows.OnboardingInput{RegisterInput: activities.RegisterInput{
		TenantID: tenantID, TenantCode: req.TenantCode, Name: req.CompanyName, Subdomain: req.Subdomain,
		AdminEmail: req.AdminEmail, AdminName: req.AdminName, Phone: req.Phone, PlanCode: req.PlanCode,
		BillingCycle: req.BillingCycle, AdminTokenHash: hash, AdminTokenPrefix: prefix, Actor: actor,
	}}
	start := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.OnboardingWorkflowID(tenantID),
		TaskQueue:                s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.Onboarding, in)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	handle, err := s.temporal.UpdateWithStartWorkflow(wctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.OnboardingRegisteredUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		metrics.OnboardingStarted.Inc()
		err = handle.Get(wctx, nil)
	}
	if err != nil {
		return registrationError(err)
	}
	t, err := s.q.TenantGet(ctx, tenantID)
	if err != nil {
		return err
	}
	view, err := s.tenantView(ctx, t, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, onboardResponse{Tenant: view, AdminToken: plain})
}

func registrationError(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case activities.ErrConflict:
			metrics.OnboardingFinished.WithLabelValues("rejected").Inc()
			return conflict(appErr.Message())
		case activities.ErrInvalidInput:
			metrics.OnboardingFinished.WithLabelValues("rejected").Inc()
			return invalidInput(appErr.Message(), nil)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return unavailable("registration is taking too long; the tenant may still be created")
	}
	return err
}
