package server

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
)

type limitsView struct {
	MaxCompanies            int32  `json:"max_companies"`
	MaxUsersPerCompany      int32  `json:"max_users_per_company"`
	MaxTotalUsers           *int32 `json:"max_total_users"`
	MaxTransactionsPerMonth int32  `json:"max_transactions_per_month"`
	MaxStorageGB            int32  `json:"max_storage_gb"`
	APIRateLimitPerHour     int32  `json:"api_rate_limit_per_hour"`
}

type planView struct {
	Code              string          `json:"code"`
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	MonthlyPriceCents int64           `json:"monthly_price_cents"`
	AnnualPriceCents  int64           `json:"annual_price_cents"`
	Currency          string          `json:"currency"`
	Limits            limitsView      `json:"limits"`
	Modules           json.RawMessage `json:"modules"`
	Features          json.RawMessage `json:"features"`
	SupportLevel      string          `json:"support_level"`
	SLAHours          *int32          `json:"sla_hours"`
	TrialDays         int32           `json:"trial_days"`
	DatabaseStrategy  string          `json:"database_strategy"`
}

func newPlanView(p db.SubscriptionPlan) planView {
	return planView{
		Code: p.PlanCode, Name: p.PlanName, Description: p.Description,
		MonthlyPriceCents: p.MonthlyPriceCents, AnnualPriceCents: p.AnnualPriceCents, Currency: p.Currency,
		Limits: limitsView{
			MaxCompanies: p.MaxCompanies, MaxUsersPerCompany: p.MaxUsersPerCompany, MaxTotalUsers: p.MaxTotalUsers,
			MaxTransactionsPerMonth: p.MaxTransactionsPerMonth, MaxStorageGB: p.MaxStorageGb,
			APIRateLimitPerHour: p.ApiRateLimitPerHour,
		},
		Modules: p.Modules, Features: p.Features, SupportLevel: p.SupportLevel, SLAHours: p.SlaHours,
		TrialDays: p.TrialDays, DatabaseStrategy: p.DatabaseStrategy,
	}
}

type databaseView struct {
	Name   *string `json:"name"`
	Server *string `json:"server"`
}

type onboardingView struct {
	Step     string           `json:"step"`
	Done     []string         `json:"done"`
	Error    *string          `json:"error"`
	Retrying *pendingActivity `json:"retrying,omitempty"` // while provisioning: a step failing and being retried
}

type tenantView struct {
	ID                 uuid.UUID        `json:"id"`
	Code               string           `json:"code"`
	Name               string           `json:"name"`
	Subdomain          string           `json:"subdomain"`
	Status             lifecycle.Status `json:"status"`
	SuspensionReason   *string          `json:"suspension_reason"` // while suspended: trial_expired, payment_overdue, or an operator's reason
	PlanCode           string           `json:"plan_code"`
	BillingCycle       string           `json:"billing_cycle"`
	Limits             limitsView       `json:"limits"`
	Modules            json.RawMessage  `json:"modules"`
	Features           json.RawMessage  `json:"features"`
	AdminEmail         string           `json:"admin_email"`
	TrialEndsAt        *time.Time       `json:"trial_ends_at"`
	CurrentPeriodStart *time.Time       `json:"current_period_start"`
	CurrentPeriodEnd   *time.Time       `json:"current_period_end"`
	PendingPlanCode    *string          `json:"pending_plan_code"`
	PendingCycle       *string          `json:"pending_billing_cycle"`
	PaymentMethod      *string          `json:"payment_method"`
	CreditBalanceCents int64            `json:"credit_balance_cents"`
	Database           databaseView     `json:"database"`
	Onboarding         *onboardingView  `json:"onboarding,omitempty"`
	CreatedAt          time.Time        `json:"created_at"`
	UpdatedAt          time.Time        `json:"updated_at"`
}

func newTenantView(t db.Tenant, serverName *string) tenantView {
	return tenantView{
		ID: t.ID, Code: t.TenantCode, Name: t.TenantName, Subdomain: t.Subdomain, Status: t.Status, SuspensionReason: t.SuspensionReason,
		PlanCode: t.PlanCode, BillingCycle: t.BillingCycle,
		Limits: limitsView{
			MaxCompanies: t.MaxCompanies, MaxUsersPerCompany: t.MaxUsersPerCompany, MaxTotalUsers: t.MaxTotalUsers,
			MaxTransactionsPerMonth: t.MaxTransactionsPerMonth, MaxStorageGB: t.MaxStorageGb,
			APIRateLimitPerHour: t.ApiRateLimitPerHour,
		},
		Modules: t.ModulesEnabled, Features: t.Features, AdminEmail: t.AdminEmail,
		TrialEndsAt: t.TrialEndsAt, CurrentPeriodStart: t.CurrentPeriodStart, CurrentPeriodEnd: t.CurrentPeriodEnd,
		PendingPlanCode: t.PendingPlanCode, PendingCycle: t.PendingBillingCycle, PaymentMethod: t.PaymentMethod,
		CreditBalanceCents: t.CreditBalanceCents,
		Database:           databaseView{Name: t.DatabaseName, Server: serverName},
		CreatedAt:          t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

type notificationView struct {
	ID         uuid.UUID  `json:"id"`
	Channel    string     `json:"channel"`
	Template   string     `json:"template"`
	Recipient  string     `json:"recipient"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body"`
	DedupeKey  string     `json:"dedupe_key"`
	Status     string     `json:"status"`
	Provider   *string    `json:"provider"`
	ProviderID *string    `json:"provider_id"`
	Attempts   int32      `json:"attempts"`
	LastError  *string    `json:"last_error"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at"`
}

// newNotificationView shows a message as sent, but for a verification code
// to anyone but an operator: the code proves the recipient read it, so a
// tenant admin must get it from the mailbox or the phone, not from here.
func newNotificationView(n db.Notification, showCodes bool) notificationView {
	if strings.HasPrefix(n.Template, "verify_") && !showCodes {
		n.Body = "(not shown: it carries a verification code)"
	}
	return notificationView{ID: n.ID, Channel: n.Channel, Template: n.Template, Recipient: n.Recipient,
		Subject: n.Subject, Body: n.Body, DedupeKey: n.DedupeKey, Status: n.Status, Provider: n.Provider,
		ProviderID: n.ProviderID, Attempts: n.Attempts, LastError: n.LastError, CreatedAt: n.CreatedAt, SentAt: n.SentAt}
}

type auditView struct {
	ID        int64           `json:"id"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	Details   json.RawMessage `json:"details"`
	CreatedAt time.Time       `json:"created_at"`
}

type databaseServerView struct {
	ID          uuid.UUID  `json:"id"`
	Name        string     `json:"name"`
	Host        string     `json:"host"`
	Port        int32      `json:"port"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	MaxTenants  int32      `json:"max_tenants"`
	TenantCount int32      `json:"tenant_count"`
	AdminUser   *string    `json:"admin_user"` // null: TENANT_DB_ADMIN_URL's
	TLS         string     `json:"tls"`
	CheckedAt   *time.Time `json:"checked_at"`
	CheckError  *string    `json:"check_error"`
	CreatedAt   time.Time  `json:"created_at"`
}

func newDatabaseServerView(s db.DatabaseServer, tenants int32) databaseServerView {
	return databaseServerView{ID: s.ID, Name: s.Name, Host: s.Host, Port: s.Port, Kind: s.Kind, Status: s.Status,
		MaxTenants: s.MaxTenants, TenantCount: tenants, AdminUser: s.AdminUser, TLS: s.Tls, CheckedAt: s.CheckedAt,
		CheckError: s.CheckError, CreatedAt: s.CreatedAt}
}

type invoiceLineView struct {
	Description string     `json:"description"`
	AmountCents int64      `json:"amount_cents"`
	PeriodStart *time.Time `json:"period_start"`
	PeriodEnd   *time.Time `json:"period_end"`
}

type invoiceView struct {
	ID                 uuid.UUID         `json:"id"`
	Number             string            `json:"number"`
	TenantID           uuid.UUID         `json:"tenant_id"`
	Status             string            `json:"status"`
	Currency           string            `json:"currency"`
	SubtotalCents      int64             `json:"subtotal_cents"`
	CreditAppliedCents int64             `json:"credit_applied_cents"`
	TotalCents         int64             `json:"total_cents"`
	Lines              []invoiceLineView `json:"lines"`
	Payments           []paymentView     `json:"payments"` // every attempt to charge it, oldest first
	PeriodStart        *time.Time        `json:"period_start"`
	PeriodEnd          *time.Time        `json:"period_end"`
	CreatedAt          time.Time         `json:"created_at"`
	PaidAt             *time.Time        `json:"paid_at"`
}

// paymentView is one attempt to charge an invoice.
type paymentView struct {
	ID             uuid.UUID `json:"id"`
	AmountCents    int64     `json:"amount_cents"`
	Status         string    `json:"status"`
	Provider       string    `json:"provider"`
	FailureCode    *string   `json:"failure_code"`
	FailureMessage *string   `json:"failure_message"`
	CreatedAt      time.Time `json:"created_at"`
}

func newInvoiceView(inv db.Invoice) invoiceView {
	return invoiceView{ID: inv.ID, Number: inv.Number, TenantID: inv.TenantID, Status: inv.Status, Currency: inv.Currency,
		SubtotalCents: inv.SubtotalCents, CreditAppliedCents: inv.CreditAppliedCents, TotalCents: inv.TotalCents,
		PeriodStart: inv.PeriodStart, PeriodEnd: inv.PeriodEnd, CreatedAt: inv.CreatedAt, PaidAt: inv.PaidAt}
}
