package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/temporal"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
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
	return s.onboard(c, req, "signup:"+c.RealIP(), "signup:"+c.RealIP())
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
	return s.onboard(c, req, principalOf(c).actor(), "operator")
}

// restartOnboarding starts again, as a new tenant, an onboarding that failed
// and was undone: the same company, subdomain, admin, plan and cycle. The
// failed tenant stays as the record of the attempt (its audit log says who
// started again and why).
func (s *Server) restartOnboarding(c echo.Context) error {
	var body reasonRequest
	id, reason, err := tenantAction(c, &body, &body.Reason)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return db.NotFound(err)
	}
	if t.Status != lifecycle.Failed {
		return conflict("only a failed onboarding can be started again; this tenant is " + string(t.Status))
	}
	req := createTenantRequest{signupRequest: signupRequest{CompanyName: t.TenantName, Subdomain: t.Subdomain,
		AdminEmail: t.AdminEmail, AdminName: t.AdminName}, TenantCode: t.TenantCode, PlanCode: t.PlanCode, BillingCycle: t.BillingCycle}
	if t.Phone != nil {
		req.Phone = *t.Phone
	}
	if err := req.validate(); err != nil {
		return err
	}
	if err := s.recordRequest(ctx, id, principalOf(c).actor(), "ONBOARDING_RESTARTED", reason, nil); err != nil {
		return err
	}
	return s.onboard(c, req, principalOf(c).actor(), "operator")
}

// onboard starts the onboarding workflow and waits only until the tenant row is
// registered (update-with-start), so a taken subdomain is a synchronous 409 and
// the answer comes before the database is built.
//
// With an Idempotency-Key (within scope: the client address for public
// signups, all operators for theirs) the tenant id derives from the key, so a
// retried request joins or finds the same tenant and never makes a second one:
// it answers the same tenant with a newly issued admin token. The same key
// with another body is 422; a key older than a day is 409.
func (s *Server) onboard(c echo.Context, req createTenantRequest, actor, scope string) error {
	ctx := c.Request().Context()
	if plan, err := s.q.PlanGet(ctx, req.PlanCode); err != nil || !plan.IsActive {
		if err != nil && !errors.Is(db.NotFound(err), db.ErrNotFound) {
			return err
		}
		return invalidFields(map[string]string{"plan_code": "is not an available plan"})
	}
	tenantID := uuid.New()
	var requestHash []byte
	key := c.Request().Header.Get("Idempotency-Key")
	if key != "" {
		if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return invalidFields(map[string]string{"Idempotency-Key": "must be 1 to 255 visible ASCII characters"})
		}
		tenantID = uuid.NewSHA1(idempotencyNamespace, []byte(scope+"\x00"+key))
		requestHash = req.hash()
		t, err := s.q.TenantGet(ctx, tenantID)
		if err == nil {
			return s.replayOnboarding(c, t, requestHash, actor)
		}
		if !errors.Is(db.NotFound(err), db.ErrNotFound) {
			return err
		}
	}
	plain, hash, prefix := token.New(token.RoleTenantAdmin)
	in := workflows.OnboardingInput{RegisterInput: activities.RegisterInput{
		TenantID: tenantID, TenantCode: req.TenantCode, Name: req.CompanyName, Subdomain: req.Subdomain,
		AdminEmail: req.AdminEmail, AdminName: req.AdminName, Phone: req.Phone, PlanCode: req.PlanCode,
		BillingCycle: req.BillingCycle, AdminTokenHash: hash, AdminTokenPrefix: prefix, Actor: actor,
		RequestSHA256: requestHash,
	}}
	err := db.InOperatorScope(ctx, s.pool, func(q *db.Queries) error {
		res, err := activities.RegisterTenant(ctx, q, in.RegisterInput)
		in.Registered = &res
		return err
	})
	if err != nil {
		return registrationError(err)
	}
	if s.startOnboarding(ctx, in) {
		metrics.OnboardingStarted.Inc()
	}
	t, err := s.q.TenantGet(ctx, tenantID)
	if err != nil {
		return err
	}
	if key != "" {
		// Two requests with one key joined one onboarding: the workflow stored
		// the first one's token, so store this one's too (a no-op if it is the same).
		if !bytes.Equal(t.RequestSha256, requestHash) {
			return idempotencyMismatch()
		}
		if _, err := s.mintTenantToken(ctx, tenantID, hash, prefix, "admin (signup)", actor); err != nil {
			return err
		}
	}
	view, err := s.tenantView(ctx, t, false)
	if err != nil {
		return err
	}
	if t.Status == lifecycle.Provisioning { // just registered: no need to ask the onboarding
		view.Onboarding = &onboardingView{Step: workflows.StepProvision, Done: []string{workflows.StepRegister}}
	}
	return c.JSON(http.StatusAccepted, onboardResponse{Tenant: view, AdminToken: plain})
}

// startOnboarding starts the onboarding of a registered tenant, eagerly when
// this process runs a worker (its first workflow task is handed back with the
// start and runs here, without a trip through a task queue), and never twice:
// a run that exists or existed for the tenant is left as it is. It reports
// whether Temporal took the start. One it did not take is logged, not
// answered as an error: the signup is registered (the client has its tenant
// and token), and the trial sweep starts the onboarding of a tenant left
// provisioning (see workflows.SweepTrials), as it does when this process
// stops between the two.
func (s *Server) startOnboarding(ctx context.Context, in workflows.OnboardingInput) bool {
	wctx, cancel := context.WithTimeout(ctx, onboardingStartWait)
	defer cancel()
	_, err := s.temporal.ExecuteWorkflow(wctx, workflows.OnboardingStartOptions(in.TenantID, s.taskQueue), workflows.Onboarding, in)
	if err != nil {
		s.log.Warn("onboarding not started: the trial sweep will start it", "tenant", in.TenantID, "error", err)
		return false
	}
	return true
}

// onboardingStartWait bounds how long a signup waits for Temporal to take its onboarding.
const onboardingStartWait = 10 * time.Second

// idempotencyNamespace makes tenant ids from Idempotency-Keys.
var idempotencyNamespace = uuid.MustParse("6f1d7c52-3b0e-4e59-9a43-1f0b8d2c7a10")

// idempotencyWindow is how long an Idempotency-Key answers with its tenant.
const idempotencyWindow = 24 * time.Hour

// hash is the SHA-256 of the normalised request, what a retry must repeat.
func (r createTenantRequest) hash() []byte {
	b, _ := json.Marshal(r) // plain strings: cannot fail
	sum := sha256.Sum256(b)
	return sum[:]
}

func idempotencyMismatch() error {
	return invalidFields(map[string]string{"Idempotency-Key": "was used with a different request"})
}

// replayOnboarding answers a retried signup with the tenant its key made,
// and a newly issued admin token (the first may never have reached the client).
func (s *Server) replayOnboarding(c echo.Context, t db.Tenant, requestHash []byte, actor string) error {
	ctx := c.Request().Context()
	switch {
	case !bytes.Equal(t.RequestSha256, requestHash):
		return idempotencyMismatch()
	case time.Since(t.CreatedAt) > idempotencyWindow:
		return conflict("this Idempotency-Key was used more than 24 hours ago; send a new one")
	}
	if t.Status == lifecycle.Provisioning { // the first request may have ended before it started the onboarding
		s.startOnboarding(ctx, workflows.OnboardingInput{RegisterInput: activities.Registered(t, actor)})
	}
	view, err := s.tenantView(ctx, t, true)
	if err != nil {
		return err
	}
	out := onboardResponse{Tenant: view}
	if t.Status.HoldsNames() {
		plain, hash, prefix := token.New(token.RoleTenantAdmin)
		if _, err := s.mintTenantToken(ctx, t.ID, hash, prefix, "admin (signup, re-issued)", actor); err != nil {
			return err
		}
		out.AdminToken = plain
	}
	return c.JSON(http.StatusAccepted, out)
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
