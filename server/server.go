// Package server is landlord's HTTP API: Echo routes, auth, handlers and errors.
// Handlers are thin: decode, validate, start a workflow or run one query, encode.
package server

import (
	"bytes"
	"cmp"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/signin"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// Options configure the API.
type Options struct {
	Pool                *pgxpool.Pool
	Temporal            client.Client
	TaskQueue           string
	Log                 *slog.Logger
	SignupsPerHour      int  // per client address; 0 disables the limit
	AuthFailuresPerHour int  // bad tokens per client address before 429; default 360
	TrustProxyHeaders   bool // take the client address from X-Forwarded-For
	// WorkflowWait is how long a request waits for a workflow it started
	// (plan change, payment method) before answering 202; default 20s.
	WorkflowWait        time.Duration
	StripeWebhookSecret string
	Policy              workflows.LifecyclePolicy // for offboarding and sweeps started here
	SchedulePrefix      string                    // before the sweeps' schedule IDs: empty in production
	MoveDropAfter       time.Duration             // how long a moved tenant's old copy is kept (0: a day)
	TenantPools         *tenantdb.Pools           // pools on tenant databases, for the tenant API
	Box                 *secrets.Box              // opens tenant database passwords
	RateLimiter         ratelimit.Limiter         // per-tenant API limit; default in process
	TenantDBRoots       *x509.CertPool            // what database servers' certificates chain to; nil: the system's
	CodecKey            string                    // admits POST /codec/k/{key}/decode (a Web UI's codec endpoint); empty: no such path
	CodecOrigins        []string                  // Web UI origins the codec endpoints admit (CORS)
	Portal              fs.FS                     // the built portal, served at /; nil: none
	TenantURL           string                    // where a tenant's ERP answers, {subdomain} in it; its host resolves the tenant
	// End-user sign-in.
	PasswordParams           signin.Params // argon2id's costs; zero: signin.OWASP
	SigningKeyLead           time.Duration // how long a next key is published before it may sign; 0: signin.PublishLead
	SignInsPerAddressPerHour int           // sign-in, refresh, reset and password requests per client address; 0: 600
}

// Server holds the API's dependencies.
type Server struct {
	hot       hotCaches
	pool      *pgxpool.Pool
	q         *db.Queries
	temporal  client.Client
	taskQueue string
	log       *slog.Logger
	signups   *addressLimiter
	failures  *addressLimiter // bad tokens per client address

	workflowWait   time.Duration
	webhookSecret  string
	policy         workflows.LifecyclePolicy
	schedulePrefix string
	moveDropAfter  time.Duration
	pools          *tenantdb.Pools
	box            *secrets.Box
	limiter        ratelimit.Limiter
	tenantDBRoots  *x509.CertPool
	hostPrefix     string // a tenant's host is hostPrefix + its subdomain + hostSuffix
	hostSuffix     string
	feed           *changeHub

	keys              *keyring
	passwordParams    signin.Params
	signInsPerAddress int
}

// New returns the API's Echo instance with every route.
func New(o Options) *echo.Echo {
	s := &Server{pool: o.Pool, q: db.New(o.Pool), temporal: o.Temporal, taskQueue: o.TaskQueue, log: o.Log,
		signups: newAddressLimiter(o.SignupsPerHour, time.Hour), workflowWait: o.WorkflowWait, webhookSecret: o.StripeWebhookSecret, policy: o.Policy, schedulePrefix: o.SchedulePrefix, moveDropAfter: cmp.Or(o.MoveDropAfter, 24*time.Hour),
		pools: o.TenantPools, box: o.Box, limiter: o.RateLimiter, tenantDBRoots: o.TenantDBRoots}
	s.hostPrefix, s.hostSuffix = tenantHost(o.TenantURL)
	s.keys = &keyring{pool: o.Pool, box: o.Box, lead: cmp.Or(o.SigningKeyLead, signin.PublishLead)}
	s.passwordParams = cmp.Or(o.PasswordParams, signin.OWASP)
	s.signInsPerAddress = cmp.Or(o.SignInsPerAddressPerHour, 600)
	s.feed = newChangeHub(func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, o.Pool.Config().ConnConfig.Copy())
	}, o.Log)
	if o.AuthFailuresPerHour == 0 {
		o.AuthFailuresPerHour = 360
	}
	s.failures = newAddressLimiter(o.AuthFailuresPerHour, time.Hour)
	if s.limiter == nil {
		s.limiter = ratelimit.NewMemory()
	}
	if s.workflowWait <= 0 {
		s.workflowWait = 20 * time.Second
	}
	e := echo.New()
	e.Server.RegisterOnShutdown(s.feed.close) // open change feeds end, so a shutdown does not wait for them
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(o.Log)
	e.IPExtractor = echo.ExtractIPDirect()
	if o.TrustProxyHeaders {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(middleware.Recover(), observe(o.Log), middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K",
		Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/codec/") }})) // bounded on its own
	s.codecRoutes(e, o.CodecKey, o.CodecOrigins)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.json", openAPI)
	e.GET("/docs", docsPage)
	if o.Portal != nil {
		e.GET("/*", portal(o.Portal))
	}

	v1 := e.Group("/v1")
	v1.GET("/plans", s.listPlans)
	v1.POST("/signup", s.signup, s.limitSignups)
	v1.POST("/webhooks/stripe", s.stripeWebhook)
	v1.POST("/session", s.startSession)
	e.GET("/.well-known/jwks.json", s.jwks)
	v1.POST("/auth/login", s.login)
	v1.POST("/auth/refresh", s.refresh)
	v1.POST("/auth/logout", s.logout)
	v1.POST("/auth/password", s.setPassword)
	v1.POST("/auth/reset", s.requestReset)

	api := v1.Group("", s.forgetChanges, s.authenticate)
	api.GET("/me", s.me)
	api.GET("/session", s.getSession)
	api.DELETE("/session", s.endSession)
	api.DELETE("/tokens/:id", s.revokeToken)
	api.POST("/tenants", s.createTenant, operatorOnly)
	api.GET("/tenants", s.listTenants, operatorOnly)
	api.GET("/tenants/export", s.exportTenants, operatorOnly)
	api.GET("/tenants/:id", s.getTenant)
	api.POST("/tenants/:id/tokens", s.createTenantToken)
	api.GET("/tenants/:id/notifications", s.listNotifications)
	api.GET("/tenants/:id/audit", s.listAudit)
	api.POST("/tenants/:id/plan", s.changePlan)
	api.POST("/tenants/:id/plan/preview", s.previewPlanChange)
	api.PUT("/tenants/:id/payment-method", s.setPaymentMethod)
	api.POST("/tenants/:id/verify", s.verifyContact)
	api.GET("/tenants/:id/invoices", s.listInvoices)
	api.GET("/invoices/:id", s.getInvoice)
	api.POST("/tenants/:id/suspend", s.suspendTenant, operatorOnly)
	api.POST("/tenants/:id/reactivate", s.reactivateTenant, operatorOnly)
	api.POST("/tenants/:id/grace", s.extendGrace, operatorOnly)
	api.DELETE("/tenants/:id", s.deleteTenant, operatorOnly)
	api.GET("/tenants/:id/backups", s.listBackups, operatorOnly)
	api.GET("/tenants/:id/usage", s.getUsage)
	api.GET("/tenants/:id/timeline", s.getTimeline, operatorOnly)
	api.POST("/tenants/:id/trial/extend", s.extendTrial, operatorOnly)
	api.POST("/tenants/:id/trial/end", s.endTrial, operatorOnly)
	api.POST("/tenants/:id/onboarding/restart", s.restartOnboarding, operatorOnly)
	api.POST("/tenants/:id/move", s.moveTenant, operatorOnly)
	api.POST("/bulk-operations", s.startBulk, operatorOnly)
	api.GET("/bulk-operations/:id", s.getBulk, operatorOnly)
	api.GET("/sweeps", s.listSweeps, operatorOnly)
	api.POST("/fleet/migrations", s.startFleetMigration, operatorOnly)
	api.GET("/fleet/migrations", s.listFleetMigrations, operatorOnly)
	api.GET("/fleet/migrations/:id", s.getFleetMigration, operatorOnly)
	api.POST("/fleet/migrations/:id/pause", s.signalFleetMigration(workflows.FleetPauseSignal), operatorOnly)
	api.POST("/fleet/migrations/:id/resume", s.signalFleetMigration(workflows.FleetResumeSignal), operatorOnly)
	api.POST("/fleet/migrations/:id/abort", s.signalFleetMigration(workflows.FleetAbortSignal), operatorOnly)
	api.GET("/alerts", s.listAlerts)
	api.GET("/kpis", s.kpis, operatorOnly)
	api.POST("/sweeps/:name", s.runSweep, operatorOnly)

	// The tenant API: the tenant comes from the token, the data from its own database.
	api.GET("/companies", s.listCompanies)
	api.POST("/companies", s.createCompany)
	api.GET("/companies/:id", s.getCompany)
	api.DELETE("/companies/:id", s.deleteCompany)
	api.GET("/companies/:id/users", s.listUsers)
	api.POST("/companies/:id/users", s.createUser)
	api.DELETE("/users/:id", s.deleteUser)
	api.POST("/users/:id/invitation", s.resendInvitation)
	api.POST("/transactions", s.postTransaction)
	api.GET("/database-servers", s.listDatabaseServers, operatorOnly)
	api.POST("/database-servers", s.createDatabaseServer, operatorOnly)
	api.POST("/database-servers/:id/check", s.recheckDatabaseServer, operatorOnly)
	api.POST("/database-servers/:id/drain", s.drainDatabaseServer, operatorOnly)
	api.GET("/warm-pool", s.getWarmPool, operatorOnly)
	api.POST("/signing-keys/rotate", s.rotateSigningKey, operatorOnly)
	api.GET("/resolve", s.resolve) // service tokens only (admit)
	api.GET("/resolve/changes", s.resolveChanges)
	return e
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, health{Status: "ok"})
}

// readyz answers 503 until both the platform database and Temporal answer.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	// The public learns which dependency is down; the reason goes to the log only.
	checks := readiness{Database: "ok", Temporal: "ok"}
	status := http.StatusOK
	if err := s.pool.Ping(ctx); err != nil {
		s.log.Warn("not ready: database", "error", err)
		checks.Database, status = "unavailable", http.StatusServiceUnavailable
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		s.log.Warn("not ready: temporal", "error", err)
		checks.Temporal, status = "unavailable", http.StatusServiceUnavailable
	}
	return c.JSON(status, checks)
}

// observe records request metrics and logs server errors.
func observe(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // writes the error body so the status below is the real one
			}
			route, method := c.Path(), c.Request().Method
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			metrics.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			metrics.HTTPDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
			if status >= 500 {
				log.Warn("request", "method", method, "route", route, "status", status, "duration", time.Since(start))
			}
			return nil
		}
	}
}

// decode reads a JSON body into v, refusing unknown fields and trailing data.
func decode(c echo.Context, v any) error {
	raw, err := io.ReadAll(c.Request().Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return invalidInput("request body is too large", nil)
	}
	if err != nil {
		return err
	}
	if problem := strictKeys(raw, v); problem != "" {
		return invalidInput(problem, nil)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return invalidInput("request body is too large", nil)
		}
		if errors.Is(err, io.EOF) {
			return invalidInput("request body must be a JSON object", nil)
		}
		return invalidInput("request body is not valid JSON: "+err.Error(), nil)
	}
	if dec.More() {
		return invalidInput("request body must hold one JSON object", nil)
	}
	return nil
}

// strictKeys says what is wrong with the keys of a JSON object body, or "":
// encoding/json takes a key in any letter case and the last of duplicate keys,
// so {"plan_code":…,"PLAN_CODE":…} would be read one way here and perhaps
// another by a proxy in front. Keys must be unique and spelt as the fields are.
func strictKeys(raw []byte, v any) string {
	fields := map[string]bool{}
	collect(reflect.TypeOf(v), fields)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "" // not an object: the decoder says what is wrong
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := t.(string)
		switch {
		case seen[key]:
			return fmt.Sprintf("the key %q appears twice", key)
		case !fields[key]:
			for f := range fields {
				if strings.EqualFold(f, key) {
					return fmt.Sprintf("the key %q must be spelt %q", key, f)
				}
			}
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// collect adds the JSON names of a struct's fields (embedded ones included) to names.
func collect(t reflect.Type, names map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			collect(f.Type, names)
		case name != "" && name != "-":
			names[name] = true
		case name == "" && f.IsExported():
			names[f.Name] = true
		}
	}
}
