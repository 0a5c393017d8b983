package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/signin"
	"github.com/landlordhq/landlord/tenantdb"
)

// access is who may call an operation.
type access int

const (
	public       access = iota // no token
	anyToken                   // an operator or a tenant admin
	tenantScoped               // an operator, or that tenant's admin (another tenant's: 404)
	operators                  // operators only (a tenant admin: 403)
	tenantAdmins               // a tenant admin, in its own tenant's database
	codecCaller                // an operator's token, or the path's codec key
	services                   // a service token (an ERP service); no other token, and it nothing else
)

func (a access) String() string {
	return [...]string{"public", "operator or tenant admin", "operator, or that tenant's admin",
		"operator", "tenant admin", "operator (or CODEC_KEY in the path)", "service"}[a]
}

// param is a query or path parameter.
type param struct {
	name, in, description string
	schema                map[string]any
}

var (
	idPathParam      = param{"id", "path", "", map[string]any{"type": "string", "format": "uuid"}}
	limitQueryParam  = param{"limit", "query", "how many, newest first", map[string]any{"type": "integer", "minimum": 1}}
	reasonQueryParam = param{"reason", "query", "why: required of operators, kept in the tenant's audit log", map[string]any{"type": "string", "maxLength": 200}}
	stringParam      = func(name, in, description string) param {
		return param{name, in, description, map[string]any{"type": "string"}}
	}
)

// operation is one route of the API as the OpenAPI document describes it.
type operation struct {
	method, path, id, tag, summary, description string
	access                                      access
	params                                      []param
	body                                        any         // the request body's type; nil: none
	responses                                   map[int]any // status → body type (nil: no body; text: not JSON)
}

// text is a body that is not JSON, of this content type.
type text string

// operations are every route of the router; TestTheOpenAPIDocumentCoversEveryRoute
// fails on a route without one or an operation without a route.
func operations() []operation {
	accepted := workflowRunning{}
	return []operation{
		{method: http.MethodGet, path: "/healthz", id: "healthz", tag: "operations", summary: "The process is up",
			access: public, responses: map[int]any{200: health{}}},
		{method: http.MethodGet, path: "/readyz", id: "readyz", tag: "operations",
			summary: "The platform database and Temporal answer", description: "503 names the dependency that is down, nothing more.",
			access: public, responses: map[int]any{200: readiness{}, 503: readiness{}}},
		{method: http.MethodGet, path: "/openapi.json", id: "openapi", tag: "operations", summary: "This document",
			access: public, responses: map[int]any{200: map[string]any{}}},
		{method: http.MethodGet, path: "/docs", id: "docs", tag: "operations", summary: "This document as a page to read",
			access: public, responses: map[int]any{200: text("text/html")}},

		{method: http.MethodGet, path: "/v1/plans", id: "listPlans", tag: "plans", summary: "The plans on sale",
			access: public, responses: map[int]any{200: planList{}}},
		{method: http.MethodPost, path: "/v1/signup", id: "signup", tag: "tenants", summary: "Sign up: a trial tenant",
			description: "Starts onboarding and answers at once with the tenant (status provisioning) and its admin's token, shown only here. " +
				"With an Idempotency-Key header, the same request again answers with the same tenant. The admin's email and phone get a " +
				"verification code; nothing else is sent there until it comes back (POST /v1/tenants/{id}/verify).",
			access: public, body: signupRequest{}, responses: map[int]any{202: onboardResponse{}, 409: nil, 422: nil, 429: nil},
			params: []param{stringParam("Idempotency-Key", "header", "makes a retried signup return the first one's tenant")}},
		{method: http.MethodPost, path: "/v1/webhooks/stripe", id: "stripeWebhook", tag: "billing",
			summary:     "Stripe's invoice.paid and invoice.payment_failed events",
			description: "Verified by the Stripe-Signature header (5 minutes' tolerance either way); each event applied once.",
			access:      public, body: map[string]any{}, responses: map[int]any{200: webhookReceived{}, 400: nil, 503: nil},
			params: []param{stringParam("Stripe-Signature", "header", "")}},

		{method: http.MethodGet, path: "/v1/me", id: "me", tag: "tokens", summary: "Who the token is",
			access: anyToken, responses: map[int]any{200: meResponse{}}},
		{method: http.MethodPost, path: "/v1/session", id: "startSession", tag: "tokens",
			summary: "Sign a browser in: a token becomes an HttpOnly, SameSite=Strict session cookie",
			description: "The answer's csrf_token must come back as the X-CSRF-Token header of every POST, PUT and DELETE made with the cookie. " +
				"Sessions last 12 hours; revoking the token ends them. A service token does not sign in (403).",
			access: public, body: sessionRequest{}, responses: map[int]any{201: sessionView{}, 401: nil, 403: nil, 429: nil}},
		{method: http.MethodGet, path: "/v1/session", id: "getSession", tag: "tokens", summary: "The session the cookie names, with its CSRF token",
			access: anyToken, responses: map[int]any{200: sessionView{}, 404: nil}},
		{method: http.MethodDelete, path: "/v1/session", id: "endSession", tag: "tokens", summary: "Sign out: the session is revoked and its cookie cleared",
			access: anyToken, responses: map[int]any{204: nil, 404: nil}},
		{method: http.MethodDelete, path: "/v1/tokens/{id}", id: "revokeToken", tag: "tokens", summary: "Revoke a token",
			description: "An operator revokes any token, a tenant admin its own tenant's.",
			access:      anyToken, params: []param{idPathParam}, responses: map[int]any{204: nil, 404: nil}},
		{method: http.MethodPost, path: "/v1/tenants", id: "createTenant", tag: "tenants", summary: "Create a tenant on any plan",
			description: "An operator's tenant: its contacts are taken as verified.",
			access:      operators, body: createTenantRequest{}, responses: map[int]any{202: onboardResponse{}, 409: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/tenants", id: "listTenants", tag: "tenants", summary: "Tenants, newest first",
			access: operators, responses: map[int]any{200: tenantList{}, 422: nil},
			params: []param{limitQueryParam, stringParam("q", "query", "in the name, subdomain or admin email, any letter case"),
				stringParam("status", "query", "only tenants in this status"), stringParam("plan", "query", "only tenants on this plan"),
				stringParam("server", "query", "only tenants on this database server (its name)"),
				{"sort", "query", "created: newest first (the default); name: A to Z", map[string]any{"type": "string", "enum": []string{"created", "name"}}},
				stringParam("cursor", "query", "next_cursor of the page before, in the same order")}},
		{method: http.MethodGet, path: "/v1/tenants/export", id: "exportTenants", tag: "tenants", summary: "Every tenant the filters select, as CSV",
			description: "The list's filters, newest first, no paging. A cell that would start a spreadsheet formula (=, +, -, @) is prefixed with '.",
			access:      operators, responses: map[int]any{200: text("text/csv"), 422: nil},
			params: []param{stringParam("q", "query", "in the name, subdomain or admin email, any letter case"),
				stringParam("status", "query", "only tenants in this status"), stringParam("plan", "query", "only tenants on this plan"),
				stringParam("server", "query", "only tenants on this database server (its name)")}},
		{method: http.MethodGet, path: "/v1/tenants/{id}", id: "getTenant", tag: "tenants", summary: "A tenant, with its onboarding's progress",
			access: tenantScoped, params: []param{idPathParam}, responses: map[int]any{200: tenantView{}, 404: nil}},
		{method: http.MethodDelete, path: "/v1/tenants/{id}", id: "deleteTenant", tag: "lifecycle",
			summary:     "Cancel a tenant now; back up and archive it after the retention period",
			description: "The reason goes to the tenant's audit log.",
			access:      operators, params: []param{idPathParam, reasonQueryParam}, responses: map[int]any{202: offboardingStarted{}, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/tokens", id: "createTenantToken", tag: "tokens",
			summary: "Mint another tenant-admin token", description: "The token is shown only in this answer; minting is audited.",
			access: tenantScoped, params: []param{idPathParam}, body: tokenRequest{}, responses: map[int]any{201: tokenCreated{}, 404: nil, 409: nil}},
		{method: http.MethodGet, path: "/v1/tenants/{id}/notifications", id: "listNotifications", tag: "tenants",
			summary: "The tenant's outbox", description: "Verification codes are shown to operators only.",
			access: tenantScoped, params: []param{idPathParam, limitQueryParam}, responses: map[int]any{200: notificationList{}, 404: nil}},
		{method: http.MethodGet, path: "/v1/tenants/{id}/audit", id: "listAudit", tag: "tenants", summary: "The tenant's audit log, newest first",
			access: tenantScoped, params: []param{idPathParam, limitQueryParam, {"before", "query", "entries older than this id", map[string]any{"type": "integer"}}},
			responses: map[int]any{200: auditList{}, 404: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/plan", id: "changePlan", tag: "billing", summary: "Change plan or billing cycle",
			description: "Upgrades charge the prorated difference now and apply once paid; downgrades wait for the period's end unless " +
				`effective is "immediate" (the difference becomes credit). 402 when the charge is declined (nothing changes); ` +
				"202 when it takes longer than the API waits. An operator must give a reason (for the tenant's audit log).",
			access: tenantScoped, params: []param{idPathParam}, body: planChangeRequest{},
			responses: map[int]any{200: planChangeResponse{}, 202: accepted, 402: nil, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/plan/preview", id: "previewPlanChange", tag: "billing",
			summary: "What a plan change would invoice now, without making it",
			description: "Runs the same quote as POST /v1/tenants/{id}/plan and changes nothing (no invoice, no hold, no charge). " +
				"Whether a downgrade's usage fits the new plan is checked when the change is made.",
			access: tenantScoped, params: []param{idPathParam}, body: planChangeRequest{},
			responses: map[int]any{200: planPreview{}, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPut, path: "/v1/tenants/{id}/payment-method", id: "setPaymentMethod", tag: "billing",
			summary: "Store a payment method and charge every open invoice with it", description: "An operator must give a reason.",
			access: tenantScoped, params: []param{idPathParam}, body: paymentMethodRequest{},
			responses: map[int]any{200: paymentMethodResponse{}, 202: accepted, 404: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/verify", id: "verifyContact", tag: "tenants",
			summary: "Enter a code sent to the admin's email or phone",
			access:  tenantScoped, params: []param{idPathParam}, body: verifyRequest{}, responses: map[int]any{200: verifyResponse{}, 404: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/tenants/{id}/invoices", id: "listInvoices", tag: "billing", summary: "The tenant's invoices with their lines",
			access: tenantScoped, params: []param{idPathParam, limitQueryParam}, responses: map[int]any{200: invoiceList{}, 404: nil}},
		{method: http.MethodGet, path: "/v1/invoices/{id}", id: "getInvoice", tag: "billing", summary: "An invoice with its lines",
			access: anyToken, params: []param{idPathParam}, responses: map[int]any{200: invoiceView{}, 404: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/suspend", id: "suspendTenant", tag: "lifecycle",
			summary: "Suspend a tenant for a reason", description: "Its database closes to it and its admin's tokens get 403 but for paying.",
			access: operators, params: []param{idPathParam}, body: suspendRequest{},
			responses: map[int]any{200: tenantView{}, 202: accepted, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/reactivate", id: "reactivateTenant", tag: "lifecycle",
			summary: "Let a suspended or cancelled tenant back to the status it left", description: "The reason goes to the tenant's audit log.",
			access: operators, params: []param{idPathParam}, body: reasonRequest{}, responses: map[int]any{200: tenantView{}, 202: accepted, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/grace", id: "extendGrace", tag: "lifecycle",
			summary:     "Move a past-due tenant's suspension deadline",
			description: "The reason goes to the tenant's audit log.",
			access:      operators, params: []param{idPathParam}, body: graceRequest{}, responses: map[int]any{200: tenantView{}, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/tenants/{id}/backups", id: "listBackups", tag: "lifecycle", summary: "The tenant's verified backups",
			access: operators, params: []param{idPathParam}, responses: map[int]any{200: backupList{}, 404: nil}},
		{method: http.MethodGet, path: "/v1/tenants/{id}/usage", id: "getUsage", tag: "tenants",
			summary: "The tenant's use of each limit, measured in its database now",
			access:  tenantScoped, params: []param{idPathParam}, responses: map[int]any{200: usageResponse{}, 404: nil}},
		{method: http.MethodGet, path: "/v1/tenants/{id}/timeline", id: "getTimeline", tag: "lifecycle",
			summary: "What happened to the tenant, what its workflows are doing, and what the calendar does next",
			description: "next: the lifecycle's timed steps, soonest first, with what an operator may do about each (run_now, extend). " +
				"running: the tenant's workflows now running, with any step being retried, its attempt and last error. " +
				"past: status changes, audit log, invoices, messages and backups, newest first.",
			access: operators, params: []param{idPathParam}, responses: map[int]any{200: timeline{}, 404: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/trial/extend", id: "extendTrial", tag: "lifecycle",
			summary: "Move a trial's end later", description: "The reason goes to the tenant's audit log.",
			access: operators, params: []param{idPathParam}, body: trialExtendRequest{}, responses: map[int]any{200: tenantView{}, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/trial/end", id: "endTrial", tag: "lifecycle",
			summary: "End a trial now", description: "As when it runs out: converted to its plan with a card on file, suspended without one.",
			access: operators, params: []param{idPathParam}, body: reasonRequest{}, responses: map[int]any{200: tenantView{}, 202: accepted, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/onboarding/restart", id: "restartOnboarding", tag: "tenants",
			summary:     "Start a failed onboarding again, as a new tenant",
			description: "The same company, subdomain, admin, plan and cycle; the failed tenant stays as the record of the attempt.",
			access:      operators, params: []param{idPathParam}, body: reasonRequest{}, responses: map[int]any{202: onboardResponse{}, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/tenants/{id}/move", id: "moveTenant", tag: "operations",
			summary: "Move a tenant's database to another server",
			description: "A workflow copies the database to the server (closed to the tenant meanwhile), verifies every table's rows and checksum, " +
				"switches the tenant to the copy and drops the old one MOVE_DROP_AFTER later. Before the switch any failure leaves the tenant " +
				"where it was. Its progress is on the tenant's timeline; TENANT_MOVED in the audit log says the write downtime.",
			access: operators, params: []param{idPathParam}, body: moveRequest{}, responses: map[int]any{202: accepted, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/bulk-operations", id: "startBulk", tag: "lifecycle",
			summary: "One action for many tenants, as one durable operation",
			description: "suspend, reactivate, change_plan (plan_code) or extend_trial (until), for up to 500 tenants, with a reason " +
				"written to each one's audit log. Each tenant's own workflow runs, a few at a time; one failing does not stop the others.",
			access: operators, body: bulkRequest{}, responses: map[int]any{202: bulkView{}, 422: nil}},
		{method: http.MethodGet, path: "/v1/bulk-operations/{id}", id: "getBulk", tag: "lifecycle", summary: "A bulk operation's progress, tenant by tenant",
			access: operators, params: []param{idPathParam}, responses: map[int]any{200: bulkView{}, 404: nil}},
		{method: http.MethodGet, path: "/v1/sweeps", id: "listSweeps", tag: "operations", summary: "The sweeps: schedule, next and last run, last run by hand",
			access: operators, responses: map[int]any{200: sweepList{}}},
		{method: http.MethodPost, path: "/v1/fleet/migrations", id: "startFleetMigration", tag: "operations",
			summary: "Roll the tenant migrations out to every tenant database behind them",
			description: "Canary tenants first, one at a time; then a few at a time per database server. It pauses itself when " +
				"a canary fails or failures pass max_failures. A tenant whose migration fails stays on its old version, intact, " +
				"its database error in failures. Closed (suspended, cancelled) databases are migrated without opening them to the tenant. " +
				"One rollout at a time: 409 while another runs or is paused.",
			access: operators, body: fleetMigrationRequest{}, responses: map[int]any{202: fleetMigrationView{}, 409: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/fleet/migrations", id: "listFleetMigrations", tag: "operations", summary: "The latest rollouts, newest first",
			access: operators, responses: map[int]any{200: fleetMigrationList{}}},
		{method: http.MethodGet, path: "/v1/fleet/migrations/{id}", id: "getFleetMigration", tag: "operations", summary: "A rollout's progress",
			access: operators, params: []param{idPathParam}, responses: map[int]any{200: fleetMigrationView{}, 404: nil}},
		{method: http.MethodPost, path: "/v1/fleet/migrations/{id}/pause", id: "pauseFleetMigration", tag: "operations",
			summary: "Pause a rollout: the databases being migrated finish, no new one starts",
			access:  operators, params: []param{idPathParam}, responses: map[int]any{202: fleetMigrationView{}, 404: nil, 409: nil}},
		{method: http.MethodPost, path: "/v1/fleet/migrations/{id}/resume", id: "resumeFleetMigration", tag: "operations",
			summary: "Resume a paused rollout", access: operators, params: []param{idPathParam},
			responses: map[int]any{202: fleetMigrationView{}, 404: nil, 409: nil}},
		{method: http.MethodPost, path: "/v1/fleet/migrations/{id}/abort", id: "abortFleetMigration", tag: "operations",
			summary: "Stop a rollout for good (databases already migrated stay migrated)", access: operators, params: []param{idPathParam},
			responses: map[int]any{202: fleetMigrationView{}, 404: nil, 409: nil}},
		{method: http.MethodGet, path: "/v1/alerts", id: "listAlerts", tag: "operations", summary: "Alerts fired, newest first",
			description: "An operator sees every tenant's (or one's), a tenant admin its own.",
			access:      anyToken, params: []param{limitQueryParam, {"tenant_id", "query", "one tenant's", map[string]any{"type": "string", "format": "uuid"}}},
			responses: map[int]any{200: alertList{}, 422: nil}},
		{method: http.MethodGet, path: "/v1/kpis", id: "kpis", tag: "operations", summary: "The business's figures for a month (UTC)",
			access: operators, params: []param{stringParam("month", "query", "YYYY-MM; this month when absent")},
			responses: map[int]any{200: kpiResponse{}, 422: nil}},
		{method: http.MethodPost, path: "/v1/sweeps/{name}", id: "runSweep", tag: "operations", summary: "Run a sweep now",
			access: operators, params: []param{{"name", "path", "", map[string]any{"type": "string", "enum": []string{"trials", "renewals", "dunning", "usage"}}}},
			responses: map[int]any{200: sweepRun{}, 202: accepted, 404: nil, 409: nil}},

		{method: http.MethodGet, path: "/v1/companies", id: "listCompanies", tag: "erp", summary: "The tenant's companies",
			access: tenantAdmins, responses: map[int]any{200: companyList{}}},
		{method: http.MethodPost, path: "/v1/companies", id: "createCompany", tag: "erp", summary: "Add a company, within the plan's limit",
			access: tenantAdmins, body: companyRequest{}, responses: map[int]any{201: companyType, 409: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/companies/{id}", id: "getCompany", tag: "erp", summary: "A company",
			access: tenantAdmins, params: []param{idPathParam}, responses: map[int]any{200: companyType, 404: nil}},
		{method: http.MethodDelete, path: "/v1/companies/{id}", id: "deleteCompany", tag: "erp", summary: "Remove a company",
			access: tenantAdmins, params: []param{idPathParam}, responses: map[int]any{204: nil, 404: nil, 409: nil}},
		{method: http.MethodGet, path: "/v1/companies/{id}/users", id: "listUsers", tag: "erp", summary: "A company's users",
			access: tenantAdmins, params: []param{idPathParam}, responses: map[int]any{200: userList{}, 404: nil}},
		{method: http.MethodPost, path: "/v1/companies/{id}/users", id: "createUser", tag: "erp", summary: "Add a user, within the plan's limits",
			access: tenantAdmins, params: []param{idPathParam}, body: userRequest{}, responses: map[int]any{201: userType, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodDelete, path: "/v1/users/{id}", id: "deleteUser", tag: "erp", summary: "Remove a user",
			access: tenantAdmins, params: []param{idPathParam}, responses: map[int]any{204: nil, 404: nil}},
		{method: http.MethodPost, path: "/v1/users/{id}/invitation", id: "resendInvitation", tag: "erp",
			summary:     "Send a user who has not set a password a new invitation (7 days; one every 10 minutes)",
			description: "A user who has set a password is 409: it asks for a reset on the ERP's sign-in page.",
			access:      tenantAdmins, params: []param{idPathParam}, responses: map[int]any{202: map[string]string{}, 404: nil, 409: nil}},
		{method: http.MethodPost, path: "/v1/transactions", id: "postTransaction", tag: "erp",
			summary: "Post a metered transaction, within the month's limit",
			access:  tenantAdmins, body: transactionRequest{}, responses: map[int]any{201: transactionType, 404: nil, 409: nil, 422: nil}},

		{method: http.MethodGet, path: "/v1/database-servers", id: "listDatabaseServers", tag: "operations",
			summary: "The servers tenant databases are placed on", access: operators, responses: map[int]any{200: databaseServerList{}}},
		{method: http.MethodPost, path: "/v1/database-servers", id: "createDatabaseServer", tag: "operations",
			summary: "Register a database server: pending until landlord has logged in and found what it needs",
			access:  operators, body: databaseServerRequest{}, responses: map[int]any{201: databaseServerView{}, 409: nil, 422: nil}},
		{method: http.MethodPost, path: "/v1/database-servers/{id}/check", id: "checkDatabaseServer", tag: "operations",
			summary: "Check a database server again", access: operators, params: []param{idPathParam},
			responses: map[int]any{200: databaseServerView{}, 404: nil}},

		{method: http.MethodPost, path: "/v1/database-servers/{id}/drain", id: "drainDatabaseServer", tag: "operations",
			summary: "Stop new placements on a server and move every tenant off it",
			description: "The server becomes draining (placement skips it) and a Drain workflow moves its tenants, two at a time, each by " +
				"its own move to the emptiest active server. A move that fails leaves its tenant where it was; draining again retries it.",
			access: operators, params: []param{idPathParam}, body: reasonRequest{}, responses: map[int]any{202: drainStarted{}, 404: nil, 409: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/warm-pool", id: "getWarmPool", tag: "operations",
			summary: "Each database server's warm pool: ready and building databases, hits and misses of the last 24 hours",
			description: "Onboarding claims a ready pooled database of its server (renamed to the tenant's names) and seeds it; " +
				"with none ready it builds one (a miss). A Schedule refills every active server's pool to WARM_POOL_SIZE.",
			access: operators, responses: map[int]any{200: warmPool{}}},
		{method: http.MethodGet, path: "/v1/resolve", id: "resolveTenant", tag: "resolution",
			summary: "The tenant a host is for: its status, plan limits and, while it may be served, its database",
			description: "Give host (a request's Host, as TENANT_URL_TEMPLATE makes it) or subdomain. An unknown host, and a tenant " +
				"without a database to serve from (provisioning, archiving, archived, failed), is 404; a suspended or cancelled tenant " +
				"is answered with serving false and no database. The answer carries its version, also its ETag: If-None-Match " +
				"with it is 304 while nothing changed.",
			access: services, params: []param{stringParam("host", "query", "a request's Host header"),
				stringParam("subdomain", "query", "or the subdomain itself"),
				stringParam("If-None-Match", "header", "the ETag of a resolution held")},
			responses: map[int]any{200: resolution{}, 304: nil, 404: nil, 422: nil}},
		{method: http.MethodGet, path: "/v1/resolve/changes", id: "resolveChanges", tag: "resolution",
			summary: "Server-sent events: each tenant whose resolution changed (event tenant, id its new version), and a heartbeat a second",
			description: "From the version in Last-Event-ID (or after) on, or from now. A tenant changed more than once while the client " +
				"was away is sent once, as it is now. Events carry no secret: resolve the tenant again for its database, or stop " +
				"serving it at once when serving is false. The heartbeat's data is {\"version\": the newest version sent}.",
			access: services, params: []param{stringParam("Last-Event-ID", "header", "the id of the last event received"),
				stringParam("after", "query", "the same, for clients that cannot set the header")},
			responses: map[int]any{200: text("text/event-stream"), 422: nil}},
		{method: http.MethodPost, path: "/v1/auth/login", id: "signIn", tag: "sign-in",
			summary: "A user of a tenant's ERP signs in on its host: an access token and a refresh token",
			description: "The tenant is the Host's (TENANT_URL_TEMPLATE): 404 for a host that is no tenant's, 403 tenant_suspended " +
				"for one that may not be served. A wrong password and an unknown email are the same 401 invalid_credentials after " +
				"the same work. Failed sign-ins of one account in a row make the next wait (1 s, doubling, at most 15 minutes) " +
				"and requests of one address are bounded: 429 with Retry-After. The access token (JWT, EdDSA, 5 minutes) carries " +
				"tid, sub (the user), cid (its company), sid (the session), role and jti; verify it with /.well-known/jwks.json.",
			access: public, body: loginRequest{}, responses: map[int]any{200: signedIn{}, 401: nil, 403: nil, 404: nil, 429: nil, 503: nil}},
		{method: http.MethodPost, path: "/v1/auth/refresh", id: "refreshSignIn", tag: "sign-in",
			summary: "A new access token and a new refresh token for a refresh token, which is used up",
			description: "On the tenant's host. A refresh token works once: presented again within 10 seconds (a retry whose answer " +
				"was lost) it gets a new pair and the lost one stops working; later, its whole session ends (401 signed_out), " +
				"as after sign-out, a password change, the user's removal or the tenant's suspension.",
			access: public, body: refreshRequest{}, responses: map[int]any{200: signedIn{}, 401: nil, 403: nil, 404: nil, 429: nil, 503: nil}},
		{method: http.MethodPost, path: "/v1/auth/logout", id: "signOut", tag: "sign-in",
			summary: "End the refresh token's session", description: "204 whatever the token, so it tells nothing.",
			access: public, body: refreshRequest{}, responses: map[int]any{204: nil}},
		{method: http.MethodPost, path: "/v1/auth/password", id: "setPassword", tag: "sign-in",
			summary:     "Set a password with a sign-in link's token (an invitation or a reset), once, before it expires",
			description: "Every session of the user ends. A token that is unknown, used or expired is one 422 on token.",
			access:      public, body: setPasswordRequest{}, responses: map[int]any{204: nil, 422: nil, 429: nil, 503: nil}},
		{method: http.MethodPost, path: "/v1/auth/reset", id: "requestPasswordReset", tag: "sign-in",
			summary:     "Email a link that sets a new password, when the email is a user's of the Host's tenant",
			description: "202 either way: the answer does not tell whether the email is a user's. One email per user per 10 minutes.",
			access:      public, body: resetRequest{}, responses: map[int]any{202: map[string]string{}, 403: nil, 404: nil, 429: nil, 503: nil}},
		{method: http.MethodGet, path: "/.well-known/jwks.json", id: "signingKeys", tag: "sign-in",
			summary: "The public keys access tokens are signed with (JWKS; Ed25519)",
			description: "The next key is published before it signs, a retired one until the tokens it signed have expired. " +
				"May be kept for a minute; fetch it again at once for a kid it lacks.",
			access: public, responses: map[int]any{200: signin.JWKS{}}},
		{method: http.MethodPost, path: "/v1/signing-keys/rotate", id: "rotateSigningKey", tag: "sign-in",
			summary: "The next signing key signs from now on; a new next key is published",
			description: "Keys also rotate by themselves every 30 days. 409 while the next key has been published for less " +
				"than two minutes (verifiers may not have it yet). Tokens signed before keep verifying: the old key stays published.",
			access: operators, responses: map[int]any{200: signin.JWKS{}, 409: nil}},
		{method: http.MethodPost, path: "/codec/decode", id: "codecDecode", tag: "codec",
			summary: "Open sealed Temporal payloads (Temporal's remote codec protocol)", description: "Audited.",
			access: codecCaller, body: payloads{}, responses: map[int]any{200: payloads{}, 400: text("text/plain")}},
		{method: http.MethodPost, path: "/codec/encode", id: "codecEncode", tag: "codec", summary: "Seal Temporal payloads",
			access: operators, body: payloads{}, responses: map[int]any{200: payloads{}, 400: text("text/plain")}},
		{method: http.MethodPost, path: "/codec/k/{key}/decode", id: "codecDecodeWithKey", tag: "codec",
			summary: "Open sealed Temporal payloads, for a Web UI configured with CODEC_KEY", description: "Audited.",
			access: public, params: []param{stringParam("key", "path", "CODEC_KEY")}, body: payloads{},
			responses: map[int]any{200: payloads{}, 400: text("text/plain"), 404: nil}},
	}
}

// The codec protocol's body (Temporal's Payloads as JSON: metadata values and data in base64).
type payloads struct {
	Payloads []payload `json:"payloads,omitempty"`
}

type payload struct {
	Metadata map[string][]byte `json:"metadata,omitempty"`
	Data     []byte            `json:"data,omitempty"`
}

// The tenant API's bodies are the tenant database's rows.
var (
	companyType     = tenantdb.Company{}
	userType        = tenantdb.User{}
	transactionType = tenantdb.Transaction{}
)

// openAPI answers GET /openapi.json.
func openAPI(c echo.Context) error { return c.JSONBlob(http.StatusOK, openAPIJSON) }

// openAPIJSON is the document, built once.
var openAPIJSON = func() []byte {
	b, err := json.MarshalIndent(Document(), "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}()

// Document is the API's OpenAPI 3.1 document, built from the operation table
// and, for every body, from the Go type the handler reads or writes.
func Document() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, op := range operations() {
		o := map[string]any{"operationId": op.id, "summary": op.summary, "tags": []string{op.tag},
			"x-access": op.access.String()}
		desc := op.description
		if op.access != public && op.access != codecCaller {
			desc = strings.TrimSpace(desc + " Who may call it: " + op.access.String() + ".")
		}
		if desc != "" {
			o["description"] = desc
		}
		switch op.access {
		case public:
			o["security"] = []any{}
		case codecCaller:
			o["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		var params []any
		for _, p := range op.params {
			pm := map[string]any{"name": p.name, "in": p.in, "schema": p.schema, "required": p.in == "path"}
			if p.description != "" {
				pm["description"] = p.description
			}
			params = append(params, pm)
		}
		if params != nil {
			o["parameters"] = params
		}
		if op.body != nil {
			o["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.body))}}}
			if _, ok := op.responses[http.StatusUnprocessableEntity]; !ok && op.tag != "codec" {
				op.responses[http.StatusUnprocessableEntity] = nil // a body that is not JSON, too large, or has unknown fields
			}
		}
		responses := map[string]any{}
		for status, body := range op.responses {
			r := map[string]any{"description": http.StatusText(status)}
			switch b := body.(type) {
			case text:
				r["content"] = map[string]any{string(b): map[string]any{"schema": map[string]any{"type": "string"}}}
			case nil:
				if status >= 400 {
					r["content"] = map[string]any{"application/json": map[string]any{"schema": ref("Error")}}
				}
			default:
				r["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(body))}}
			}
			responses[strconv.Itoa(status)] = r
		}
		if op.access != public {
			responses["401"] = errorResponse("Unauthorized")
			responses["429"] = errorResponse("Too Many Requests")
		}
		if op.access == operators || op.access == tenantAdmins || op.access == codecCaller || op.access == services {
			responses["403"] = errorResponse("Forbidden")
		}
		if op.access == tenantScoped || op.access == tenantAdmins || op.access == anyToken {
			responses["403"] = errorResponse("Forbidden (a suspended tenant may only pay)")
		}
		if op.access == tenantAdmins || op.id == "getUsage" {
			responses["503"] = errorResponse("The tenant's database cannot be reached")
		}
		o["responses"] = responses
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path][strings.ToLower(op.method)] = o
	}
	g.defs["Error"] = map[string]any{"type": "object", "required": []string{"error"}, "additionalProperties": false,
		"properties": map[string]any{"error": g.schema(reflect.TypeOf(APIError{}))}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "landlord", "version": "1",
			"description": "The control plane of an ERP sold as a service: tenants, their databases, plans, invoices and lifecycle.",
			"license":     map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}},
		"tags": []any{
			map[string]any{"name": "tenants", "description": "Signing up, tenants and what they are sent"},
			map[string]any{"name": "billing", "description": "Plans changes, payment methods, invoices, Stripe"},
			map[string]any{"name": "lifecycle", "description": "Suspension, reactivation, cancellation, backups"},
			map[string]any{"name": "tokens", "description": "Who a token is; minting and revoking"},
			map[string]any{"name": "erp", "description": "A tenant's own ERP data, in its own database"},
			map[string]any{"name": "plans", "description": "What is on sale"},
			map[string]any{"name": "operations", "description": "Health, metrics, KPIs, sweeps, database servers"},
			map[string]any{"name": "codec", "description": "Temporal's remote codec protocol for landlord's sealed payloads"},
			map[string]any{"name": "resolution", "description": "For the ERP's services: the tenant a host is for, and what changed"},
			map[string]any{"name": "sign-in", "description": "The ERP's users: sign-in on their tenant's host, tokens, passwords, signing keys"},
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "An operator's token (llo_…), a tenant admin's (llt_…) or a service's (lls_…)"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie,
					"description": "A browser's session (POST /v1/session); POST, PUT and DELETE also need its X-CSRF-Token header"},
			},
			"schemas": g.defs,
		},
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func errorResponse(description string) map[string]any {
	return map[string]any{"description": description,
		"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
}

// schemaGen turns Go types into JSON Schema (2020-12, as OpenAPI 3.1 has it):
// named structs become components, pointers may be null, fields without
// omitempty are required, and no other field is allowed.
type schemaGen struct{ defs map[string]any }

var (
	timeType   = reflect.TypeOf(time.Time{})
	uuidType   = reflect.TypeOf(uuid.UUID{})
	rawType    = reflect.TypeOf(json.RawMessage{})
	statusType = reflect.TypeOf(lifecycle.Status(""))
	bytesType  = reflect.TypeOf([]byte{})
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case uuidType:
		return map[string]any{"type": "string", "format": "uuid"}
	case rawType:
		return map[string]any{} // any JSON
	case statusType:
		enum := make([]string, 0, len(lifecycle.Statuses))
		for _, s := range lifecycle.Statuses {
			enum = append(enum, string(s))
		}
		return map[string]any{"type": "string", "enum": enum}
	case bytesType:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return map[string]any{"anyOf": []any{g.schema(t.Elem()), map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object", "additionalProperties": map[string]any{}}
		}
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // a placeholder while its fields are made (types may refer to themselves)
			g.defs[name] = g.object(t)
		}
		return ref(name)
	}
	panic("openapi: no schema for " + t.String())
}

// object is a struct's schema, embedded structs' fields inlined.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props, required := map[string]any{}, []string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if f.Anonymous && tag == "" {
				walk(f.Type)
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.schema(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	sort.Strings(required)
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// schemaName is a component's name: tenantView → Tenant, signupRequest → SignupRequest.
func schemaName(t reflect.Type) string {
	n := strings.TrimSuffix(t.Name(), "View")
	if n == "" {
		panic("openapi: an anonymous struct has no name: " + t.String())
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// sortedStatuses are an operation's statuses in order.
func sortedStatuses(responses map[int]any) []string {
	codes := make([]int, 0, len(responses))
	for c := range responses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = strconv.Itoa(c)
	}
	return out
}
