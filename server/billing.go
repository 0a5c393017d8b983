package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/workflows"
)

type planChangeRequest struct {
	PlanCode     string `json:"plan_code"`
	BillingCycle string `json:"billing_cycle,omitempty"`
	Effective    string `json:"effective,omitempty"`
	Reason       string `json:"reason,omitempty"` // required of operators
}

type changeView struct {
	From        string    `json:"from"`
	To          string    `json:"to"`
	FromCycle   string    `json:"from_cycle"`
	ToCycle     string    `json:"to_cycle"`
	Direction   string    `json:"direction"`
	EffectiveAt time.Time `json:"effective_at"`
	Scheduled   bool      `json:"scheduled"`
	CreditCents int64     `json:"credit_cents"`
}

// changePlan runs the tenant's plan change and answers with its outcome, or
// 202 with the workflow ID when it takes longer than the API waits.
func (s *Server) changePlan(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req planChangeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.PlanCode == "" {
		return invalidFields(map[string]string{"plan_code": "is required"})
	}
	if !planCodeRe.MatchString(req.PlanCode) {
		// Checked here, so a 60 KB value never reaches a workflow, its failure or a log line.
		return invalidFields(map[string]string{"plan_code": "is not an available plan"})
	}
	reason, err := reasonFor(c, req.Reason)
	if err != nil {
		return err
	}
	in := workflows.ChangePlanInput{TenantID: id, PlanCode: req.PlanCode, BillingCycle: req.BillingCycle,
		Effective: req.Effective, Actor: principalOf(c).actor()}
	if err := s.recordRequest(c.Request().Context(), id, in.Actor, "PLAN_CHANGE_REQUESTED", reason, map[string]any{
		"plan_code": req.PlanCode, "billing_cycle": req.BillingCycle, "effective": req.Effective}); err != nil {
		return err
	}
	var res workflows.ChangePlanResult
	wfID := workflows.ChangePlanWorkflowID(id)
	done, err := s.runWorkflow(c.Request().Context(), wfID, workflows.ChangePlan, in, &res)
	if err != nil {
		return workflowError(err, "a plan change for this tenant is already running")
	}
	if !done {
		return c.JSON(http.StatusAccepted, workflowRunning{WorkflowID: wfID, Status: "running"})
	}
	if res.Rejected != nil {
		return rejectionError(res.Rejected)
	}
	ctx := c.Request().Context()
	out := planChangeResponse{Change: changeView{From: res.From, To: res.To, FromCycle: res.FromCycle, ToCycle: res.ToCycle,
		Direction: res.Direction, EffectiveAt: res.EffectiveAt, Scheduled: res.Scheduled, CreditCents: res.CreditCents}}
	if res.InvoiceID != nil {
		inv, err := s.invoiceView(c, *res.InvoiceID)
		if err != nil {
			return err
		}
		out.Invoice = &inv
	}
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return err
	}
	if out.Tenant, err = s.tenantView(ctx, t, false); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

var (
	paymentMethodRe = regexp.MustCompile(`^pm_[A-Za-z0-9_]{1,200}$`)
	planCodeRe      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)
)

type paymentMethodRequest struct {
	PaymentMethod string `json:"payment_method"`
	Reason        string `json:"reason,omitempty"` // required of operators
}

// setPaymentMethod stores a payment method and retries the tenant's open invoices with it.
func (s *Server) setPaymentMethod(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req paymentMethodRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if !paymentMethodRe.MatchString(req.PaymentMethod) {
		return invalidFields(map[string]string{"payment_method": "must be a payment method id such as pm_card_visa"})
	}
	reason, err := reasonFor(c, req.Reason)
	if err != nil {
		return err
	}
	in := workflows.UpdatePaymentMethodInput{TenantID: id, PaymentMethod: req.PaymentMethod, Actor: principalOf(c).actor()}
	if err := s.recordRequest(c.Request().Context(), id, in.Actor, "PAYMENT_METHOD_CHANGE_REQUESTED", reason, nil); err != nil {
		return err
	}
	var res workflows.UpdatePaymentMethodResult
	wfID := workflows.UpdatePaymentMethodWorkflowID(id)
	done, err := s.runWorkflow(c.Request().Context(), wfID, workflows.UpdatePaymentMethod, in, &res)
	if err != nil {
		return workflowError(err, "a payment method update for this tenant is already running")
	}
	if !done {
		return c.JSON(http.StatusAccepted, workflowRunning{WorkflowID: wfID, Status: "running"})
	}
	out := paymentMethodResponse{PaymentMethod: req.PaymentMethod, RetriedInvoices: make([]retriedInvoice, 0, len(res.Invoices))}
	for _, r := range res.Invoices {
		out.RetriedInvoices = append(out.RetriedInvoices, retriedInvoice{InvoiceID: r.InvoiceID, Paid: r.Paid, FailureCode: r.FailureCode})
	}
	return c.JSON(http.StatusOK, out)
}

// runWorkflow starts a workflow that must not run twice at once and waits up
// to the API's wait for its result; done is false when it is still running.
func (s *Server) runWorkflow(ctx context.Context, id string, wf, in, out any) (done bool, err error) {
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// Without this the client hands back the running workflow instead of refusing.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, wf, in)
	if err != nil {
		return false, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.workflowWait)
	defer cancel()
	err = run.Get(wctx, out)
	if err != nil && stillRunning(wctx, err) {
		return false, nil // the caller answers 202
	}
	return err == nil, err
}

// stillRunning reports whether waiting for a workflow's result with wctx ended
// because the wait was over (whichever of the context and Temporal's own
// deadline noticed first), not because the workflow failed.
func stillRunning(wctx context.Context, err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) || wctx.Err() != nil
}

// workflowError turns a workflow's failure into the API error a client can act on.
func workflowError(err error, running string) error {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return conflict(running)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	var details map[string]any
	if appErr.HasDetails() {
		_ = appErr.Details(&details)
	}
	if api := rejectionError(&workflows.Rejection{Type: appErr.Type(), Message: appErr.Message(), Details: details}); api != nil {
		return api
	}
	return err
}

// rejectionError is the API error of a request a workflow turned down, or nil
// when its type is not one a client caused.
func rejectionError(r *workflows.Rejection) error {
	switch r.Type {
	case activities.ErrInvalidInput:
		return invalidInput(r.Message, r.Details)
	case activities.ErrConflict:
		return conflict(r.Message)
	case activities.ErrPaymentFailed:
		return &APIError{Status: http.StatusPaymentRequired, Code: "payment_failed", Message: r.Message, Details: r.Details}
	}
	return nil
}

// listInvoices is a tenant's invoices, newest first.
func (s *Server) listInvoices(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	limit, err := limitParam(c, 50, 200)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var views []invoiceView
	err = s.scoped(c, func(q *db.Queries) error {
		rows, err := q.InvoiceListByTenant(ctx, db.InvoiceListByTenantParams{TenantID: id, RowLimit: int32(limit)})
		if err != nil {
			return err
		}
		views, err = invoiceViews(ctx, q, rows)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, invoiceList{Invoices: views})
}

// getInvoice is one invoice; a tenant admin sees only its own tenant's.
func (s *Server) getInvoice(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return notFound("invoice")
	}
	v, err := s.invoiceView(c, id)
	if err != nil {
		return err
	}
	if p := principalOf(c); p.Role != token.RoleOperator && p.TenantID != v.TenantID {
		return notFound("invoice") // row-level security hides it already; this says it twice
	}
	return c.JSON(http.StatusOK, v)
}

// invoiceView is one invoice as the caller may see it.
func (s *Server) invoiceView(c echo.Context, id uuid.UUID) (invoiceView, error) {
	ctx := c.Request().Context()
	var views []invoiceView
	err := s.scoped(c, func(q *db.Queries) error {
		inv, err := q.InvoiceGet(ctx, id)
		if err != nil {
			return db.NotFound(err)
		}
		views, err = invoiceViews(ctx, q, []db.Invoice{inv})
		return err
	})
	if err != nil {
		return invoiceView{}, err
	}
	return views[0], nil
}

// invoiceViews renders invoices with their lines, loaded in one query.
func invoiceViews(ctx context.Context, q *db.Queries, invs []db.Invoice) ([]invoiceView, error) {
	ids := make([]uuid.UUID, 0, len(invs))
	for _, inv := range invs {
		ids = append(ids, inv.ID)
	}
	lines, err := q.InvoiceLinesFor(ctx, ids)
	if err != nil {
		return nil, err
	}
	byInvoice := map[uuid.UUID][]invoiceLineView{}
	for _, l := range lines {
		byInvoice[l.InvoiceID] = append(byInvoice[l.InvoiceID], invoiceLineView{Description: l.Description,
			AmountCents: l.AmountCents, PeriodStart: l.PeriodStart, PeriodEnd: l.PeriodEnd})
	}
	payments, err := q.PaymentsFor(ctx, ids)
	if err != nil {
		return nil, err
	}
	paid := map[uuid.UUID][]paymentView{}
	for _, p := range payments {
		paid[p.InvoiceID] = append(paid[p.InvoiceID], paymentView{ID: p.ID, AmountCents: p.AmountCents, Status: p.Status,
			Provider: p.Provider, FailureCode: p.FailureCode, FailureMessage: p.FailureMessage, CreatedAt: p.CreatedAt})
	}
	out := make([]invoiceView, 0, len(invs))
	for _, inv := range invs {
		v := newInvoiceView(inv)
		if v.Lines = byInvoice[inv.ID]; v.Lines == nil {
			v.Lines = []invoiceLineView{}
		}
		if v.Payments = paid[inv.ID]; v.Payments == nil {
			v.Payments = []paymentView{}
		}
		out = append(out, v)
	}
	return out, nil
}

// signedInTheFuture reports whether a Stripe-Signature header is dated more
// than the signature tolerance ahead of now: Stripe's check bounds only the
// past, so a signature made to be replayed later would pass it.
func signedInTheFuture(header string, now time.Time) bool {
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			return err != nil || time.Unix(sec, 0).After(now.Add(webhook.DefaultTolerance))
		}
	}
	return false
}

// stripeWebhook checks the event's signature and hands it to a workflow named
// after the event id, so each event is applied once however often it arrives.
func (s *Server) stripeWebhook(c echo.Context) error {
	if s.webhookSecret == "" {
		return unavailable("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)")
	}
	payload, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return invalidInput("request body is too large", nil)
	}
	header := c.Request().Header.Get("Stripe-Signature")
	ev, err := webhook.ConstructEventWithOptions(payload, header, s.webhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err == nil && signedInTheFuture(header, time.Now()) {
		err = errors.New("signed in the future")
	}
	if err != nil {
		return &APIError{Status: http.StatusBadRequest, Code: "invalid_signature", Message: "the Stripe signature is missing, wrong or too old"}
	}
	if ev.Type != "invoice.paid" && ev.Type != "invoice.payment_failed" {
		return c.JSON(http.StatusOK, webhookReceived{Received: true})
	}
	in := activities.StripeEventInput{EventID: ev.ID, Type: string(ev.Type)}
	if obj := ev.Data.Object; obj != nil {
		in.ProviderInvoiceID, _ = obj["id"].(string)
	}
	_, err = s.temporal.ExecuteWorkflow(c.Request().Context(), client.StartWorkflowOptions{
		ID: workflows.StripeEventWorkflowID(ev.ID), TaskQueue: s.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.StripeEvent, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return err
	}
	return c.JSON(http.StatusOK, webhookReceived{Received: true, Handled: true})
}

type planPreview struct {
	Direction          string                `json:"direction"`            // upgrade | downgrade
	Scheduled          bool                  `json:"scheduled"`            // applied at effective_at (a downgrade, a trial's choice)
	EffectiveAt        time.Time             `json:"effective_at"`         // when the new plan takes effect
	Lines              []invoiceLineView     `json:"lines"`                // what the invoice would say; none when scheduled
	SubtotalCents      int64                 `json:"subtotal_cents"`       // the lines' sum when positive
	CreditAppliedCents int64                 `json:"credit_applied_cents"` // taken from the credit balance first
	TotalCents         int64                 `json:"total_cents"`          // charged to the payment method
	CreditAddedCents   int64                 `json:"credit_added_cents"`   // an immediate downgrade's unused time, to the credit balance
	Currency           string                `json:"currency"`
	Limits             limitsView            `json:"limits"`         // the new plan's
	UsageMeasured      bool                  `json:"usage_measured"` // false: the tenant's database could not be read (a suspended tenant's is closed)
	Over               []lifecycle.Violation `json:"over"`           // the limits the tenant's usage now is over on the new plan
}

// previewPlanChange answers what POST /v1/tenants/{id}/plan would invoice now,
// from the same quote the plan change runs, and changes nothing: no invoice,
// no hold, no charge. Whether a downgrade's usage fits is checked by the change.
func (s *Server) previewPlanChange(c echo.Context) error {
	id, err := tenantParam(c)
	if err != nil {
		return err
	}
	var req planChangeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if !planCodeRe.MatchString(req.PlanCode) {
		return invalidFields(map[string]string{"plan_code": "is not an available plan"})
	}
	ctx := c.Request().Context()
	qt, err := (&activities.Plans{Pool: s.pool}).Quote(ctx, activities.QuoteInput{TenantID: id, PlanCode: req.PlanCode,
		BillingCycle: req.BillingCycle, Effective: req.Effective, Now: time.Now(), Actor: principalOf(c).actor()})
	if r, ok := workflows.AsRejection(err); ok {
		return rejectionError(r)
	}
	if err != nil {
		return db.NotFound(err)
	}
	t, err := s.q.TenantGet(ctx, id)
	if err != nil {
		return db.NotFound(err)
	}
	out := planPreview{Direction: qt.Direction, Scheduled: qt.Scheduled, EffectiveAt: qt.EffectiveAt, Currency: qt.Currency,
		Lines: make([]invoiceLineView, 0, len(qt.Lines))}
	for _, l := range qt.Lines {
		out.Lines = append(out.Lines, invoiceLineView{Description: l.Description, AmountCents: l.AmountCents,
			PeriodStart: &l.PeriodStart, PeriodEnd: &l.PeriodEnd})
	}
	if qt.NetCents > 0 { // as the invoice does: the credit balance first, then the card
		out.SubtotalCents = qt.NetCents
		out.CreditAppliedCents = min(t.CreditBalanceCents, qt.NetCents)
		out.TotalCents = qt.NetCents - out.CreditAppliedCents
	} else {
		out.CreditAddedCents = -qt.NetCents
	}
	plan, err := s.q.PlanGet(ctx, req.PlanCode)
	if err != nil {
		return db.NotFound(err)
	}
	out.Limits, out.Over = newPlanView(plan).Limits, []lifecycle.Violation{}
	if u, err := s.measure(ctx, id); err == nil {
		l := lifecycle.Limits{MaxCompanies: int(plan.MaxCompanies), MaxUsersPerCompany: int(plan.MaxUsersPerCompany)}
		if plan.MaxTotalUsers != nil {
			l.MaxTotalUsers = ptr(int(*plan.MaxTotalUsers))
		}
		out.UsageMeasured, out.Over = true, append(out.Over, lifecycle.Violations(u, l)...)
	}
	return c.JSON(http.StatusOK, out)
}

// measure is what the tenant holds now, read in its own database.
func (s *Server) measure(ctx context.Context, id uuid.UUID) (lifecycle.Usage, error) {
	t, err := s.openTenant(ctx, id)
	if err != nil {
		return lifecycle.Usage{}, err
	}
	m, err := tenantdb.Measure(ctx, t.pool, time.Now())
	if err != nil {
		return lifecycle.Usage{}, err
	}
	u := lifecycle.Usage{Companies: int(m.Companies), Users: int(m.Users)}
	for _, n := range m.UsersPerCompany {
		u.MaxUsersInACompany = max(u.MaxUsersInACompany, int(n))
	}
	return u, nil
}
