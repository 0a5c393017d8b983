package server

import (
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/tenantdb"
)

// The bodies the API answers with, one type each: the handlers write them and
// the OpenAPI document describes them, so the two cannot disagree.

type workflowRunning struct {
	WorkflowID string `json:"workflow_id"`
	Status     string `json:"status"` // running
}

type health struct {
	Status string `json:"status"`
}

type readiness struct {
	Database string `json:"database"` // ok | unavailable
	Temporal string `json:"temporal"`
}

type planList struct {
	Plans []planView `json:"plans"`
}

type meResponse struct {
	Role    string      `json:"role"`
	TokenID uuid.UUID   `json:"token_id"`
	Tenant  *tenantView `json:"tenant,omitempty"` // a tenant admin's own tenant
}

type tenantList struct {
	Tenants    []tenantView `json:"tenants"`
	NextCursor *string      `json:"next_cursor"`
	Total      int32        `json:"total"` // tenants the filters match, on every page
}

type tokenCreated struct {
	ID       uuid.UUID `json:"id"`
	Token    string    `json:"token"` // shown only here
	Prefix   string    `json:"prefix"`
	Role     string    `json:"role"`
	TenantID uuid.UUID `json:"tenant_id"`
}

type notificationList struct {
	Notifications []notificationView `json:"notifications"`
}

type auditList struct {
	Audit []auditView `json:"audit"`
}

type planChangeResponse struct {
	Change  changeView   `json:"change"`
	Invoice *invoiceView `json:"invoice"`
	Tenant  tenantView   `json:"tenant"`
}

type retriedInvoice struct {
	InvoiceID   uuid.UUID `json:"invoice_id"`
	Paid        bool      `json:"paid"`
	FailureCode string    `json:"failure_code"` // the provider's decline code; empty when paid
}

type paymentMethodResponse struct {
	PaymentMethod   string           `json:"payment_method"`
	RetriedInvoices []retriedInvoice `json:"retried_invoices"`
}

type verifyResponse struct {
	Verified string `json:"verified"` // email | phone
}

type invoiceList struct {
	Invoices []invoiceView `json:"invoices"`
}

type offboardingStarted struct {
	WorkflowID   string    `json:"workflow_id"`
	Status       string    `json:"status"` // cancelling
	ArchiveAfter time.Time `json:"archive_after"`
}

type backupList struct {
	Backups []backupView `json:"backups"`
}

type usageResponse struct {
	TenantID              uuid.UUID            `json:"tenant_id"`
	Month                 string               `json:"month"`
	PlanCode              string               `json:"plan_code"`
	Companies             usedLimit            `json:"companies"`
	Users                 usedLimit            `json:"users"`
	UsersPerCompany       map[string]usedLimit `json:"users_per_company"`
	TransactionsThisMonth usedLimit            `json:"transactions_this_month"`
	StorageBytes          usedLimit            `json:"storage_bytes"`
}

type alertList struct {
	Alerts []alertView `json:"alerts"`
}

type kpiResponse struct {
	Month               string           `json:"month"`
	MRRCents            int64            `json:"mrr_cents"`
	ARPUCents           int64            `json:"arpu_cents"`
	PayingTenants       int32            `json:"paying_tenants"`
	RevenueCents        int64            `json:"revenue_cents"`
	NewTenants          int32            `json:"new_tenants"`
	NewTenantsPrevious  int32            `json:"new_tenants_previous"`
	GrowthMoM           *float64         `json:"growth_mom"` // null without a previous month to compare with
	TrialConversionRate *float64         `json:"trial_conversion_rate"`
	ChurnRate           *float64         `json:"churn_rate"`
	TenantsByStatus     map[string]int32 `json:"tenants_by_status"`
	TenantsByPlan       map[string]int32 `json:"tenants_by_plan"`
	DatabaseServers     []serverUse      `json:"database_servers"`
}

type sweepRun struct {
	WorkflowID string `json:"workflow_id"`
	Started    int    `json:"started"`
	Seen       int    `json:"seen"`
	Opened     int    `json:"opened"` // usage: tenant databases opened to count (the others were not written to since)
}

type companyList struct {
	Companies []tenantdb.Company `json:"companies"`
}

type userList struct {
	Users []tenantdb.User `json:"users"`
}

type databaseServerList struct {
	DatabaseServers []databaseServerView `json:"database_servers"`
}

type webhookReceived struct {
	Received bool `json:"received"`
	Handled  bool `json:"handled"` // false: an event type landlord does not act on
}
