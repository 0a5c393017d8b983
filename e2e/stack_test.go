// Package e2e drives landlord end to end: a real PostgreSQL, a real Temporal
// dev server, the real worker and the real router over HTTP.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/backup"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/server"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/worker"
	"github.com/landlordhq/landlord/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const testSecret = testenv.SecretKey

type stackOptions struct {
	billing          billing.Provider
	email, sms       notify.Sender
	signupsPerHour   int
	noWorker         bool
	workflowWait     time.Duration
	delay            activities.StepDelay
	policy           *workflows.LifecyclePolicy // default: testPolicy
	limiter          ratelimit.Limiter          // default: in process
	logs             *syncBuffer                // also write the API's and the Temporal client's logs here, at debug level
	backups          backup.Store               // default: a folder of the test's own
	tenantDBRoots    *x509.CertPool             // what registered database servers' certificates chain to
	codecKey         string                     // CODEC_KEY
	portal           fs.FS                      // the built portal, served at /
	schedules        bool                       // create the sweeps' schedules (hourly, under a prefix of the test's own)
	tenantMigrations fs.FS                      // the worker's tenant migrations: this release's when nil
	moveDropAfter    time.Duration              // how long a moved tenant's old copy is kept
	ownTemplate      bool                       // tenant databases from a template of the test's own, not the binary's shared one
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testPolicy is the lifecycle calendar in seconds instead of days.
var testPolicy = workflows.LifecyclePolicy{
	TrialReminder: time.Hour, Grace: 4 * time.Second, DunningRetries: []time.Duration{time.Second, 2 * time.Second},
	Retention: 2 * time.Second, SuspendedOffboardAfter: time.Hour, OffboardWarning: time.Minute,
}

const webhookSecret = "whsec_e2e_test_secret"

type stack struct {
	t          testing.TB
	policy     workflows.LifecyclePolicy
	backups    string
	db         *testenv.DB
	temporal   client.Client
	servers    *tenantdb.Servers
	pools      *tenantdb.Pools
	apiOptions server.Options
	box        *secrets.Box
	taskQueue  string
	url        string
	operator   string
}

// newStack starts the API (and, unless told not to, a worker) on a task queue
// and a platform database of the test's own.
func newStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	d := testenv.NewDB(t)
	box, err := secrets.NewBox(sha256.Sum256([]byte(testSecret)))
	require.NoError(t, err)
	// Payloads are encrypted as in production, under the key the worker processes get too.
	copts := client.Options{DataConverter: secrets.DataConverter(box), MetricsHandler: metrics.Temporal()}
	if o.logs != nil {
		copts.Logger = tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
	tc := testenv.TemporalClientWith(t, copts)
	template := d.TenantTemplateDB
	if o.ownTemplate {
		template = testenv.OwnTenantTemplate(t)
	}
	servers, err := tenantdb.NewServers(testenv.AdminURL(), template)
	require.NoError(t, err)
	t.Cleanup(servers.Close)
	servers.UseRegistry(tenantdb.Registry(d.OperatorPool, box, o.tenantDBRoots)) // as the worker and the API do
	if o.tenantMigrations != nil {
		servers.UseMigrations(o.tenantMigrations)
	}
	s := &stack{box: box, t: t, db: d, temporal: tc, servers: servers, taskQueue: testenv.RandomName("e2e-"), policy: testPolicy, backups: t.TempDir()}
	if o.policy != nil {
		s.policy = *o.policy
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if o.logs != nil {
		log = slog.New(slog.NewTextHandler(io.MultiWriter(os.Stderr, o.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if !o.noWorker {
		if o.billing == nil {
			o.billing = billing.Local{}
		}
		if o.backups == nil {
			o.backups, err = backup.NewFiles(s.backups)
			require.NoError(t, err)
		}
		w := worker.New(tc, s.taskQueue, worker.Deps{Pool: d.OperatorPool, Servers: servers, Box: box, Billing: o.billing,
			Email: o.email, SMS: o.sms, StepDelay: o.delay, Backups: o.backups, SupportEmail: "support@landlord.example.com"})
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
	}
	s.pools = tenantdb.NewPools(servers, 20, 2, time.Minute)
	t.Cleanup(s.pools.Close)
	if o.limiter == nil {
		o.limiter = ratelimit.NewMemory()
	}
	if o.signupsPerHour == 0 {
		o.signupsPerHour = 1000
	}
	var schedulePrefix string
	if o.schedules {
		schedulePrefix = s.taskQueue + "-"
		sch := worker.Schedules{Prefix: schedulePrefix, TaskQueue: s.taskQueue, Every: time.Hour, Policy: s.policy}
		require.NoError(t, worker.EnsureSchedules(t.Context(), tc, sch))
		t.Cleanup(func() {
			for _, name := range workflows.SweepNames {
				_ = tc.ScheduleClient().GetHandle(context.Background(), sch.ScheduleID(name)).Delete(context.Background())
			}
		})
	}
	s.apiOptions = server.Options{SchedulePrefix: schedulePrefix, MoveDropAfter: o.moveDropAfter, Pool: d.AppPool, Temporal: tc, TaskQueue: s.taskQueue, Log: log, SignupsPerHour: o.signupsPerHour,
		WorkflowWait: o.workflowWait, StripeWebhookSecret: webhookSecret, Policy: s.policy,
		TenantPools: s.pools, Box: box, RateLimiter: o.limiter, TenantDBRoots: o.tenantDBRoots,
		CodecKey: o.codecKey, CodecOrigins: []string{"http://127.0.0.1:8233"}, Portal: o.portal}
	s.url = s.startAPI(o.limiter)

	plain, hash, prefix := token.New(token.RoleOperator)
	_, err = db.New(d.Pool).APITokenInsert(t.Context(), db.APITokenInsertParams{TokenHash: hash, Prefix: prefix, Role: token.RoleOperator, Name: "e2e"})
	require.NoError(t, err)
	s.operator = plain
	return s
}

// serviceToken mints a service token, as landlord token create --role service does.
func (s *stack) serviceToken() string {
	s.t.Helper()
	plain, hash, prefix := token.New(token.RoleService)
	_, err := db.New(s.db.Pool).APITokenInsert(s.t.Context(), db.APITokenInsertParams{TokenHash: hash, Prefix: prefix, Role: token.RoleService, Name: "e2e service"})
	require.NoError(s.t, err)
	return plain
}

// call sends a JSON request and decodes the JSON answer.
func (s *stack) call(method, path, tok string, body any) (int, map[string]any) {
	s.t.Helper()
	code, out, err := send(s.url, method, path, tok, body, nil)
	require.NoError(s.t, err)
	return code, out
}

// send sends a JSON request with extra headers to the API at base and decodes
// the JSON answer (checked against the OpenAPI document on the way); safe from any goroutine.
func send(base, method, path, tok string, body any, header map[string]string) (int, map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			return 0, nil, fmt.Errorf("%w: %s", err, raw)
		}
	}
	return resp.StatusCode, out, nil
}

func signupBody(subdomain string) map[string]any {
	return map[string]any{"company_name": "Acme " + subdomain, "subdomain": subdomain,
		"admin_email": "ana@" + subdomain + ".example.com", "admin_name": "Ana Admin"}
}

// signup signs a tenant up and returns its id and admin token.
func (s *stack) signup(body map[string]any) (uuid.UUID, string) {
	s.t.Helper()
	code, out := s.call(http.MethodPost, "/v1/signup", "", body)
	require.Equal(s.t, http.StatusAccepted, code, out)
	tenant := out["tenant"].(map[string]any)
	return uuid.MustParse(tenant["id"].(string)), out["admin_token"].(string)
}

// waitStatus waits until the operator sees the tenant in status and returns it.
func (s *stack) waitStatus(id uuid.UUID, status string) map[string]any {
	s.t.Helper()
	var last map[string]any
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String(), s.operator, nil)
		require.Equal(c, http.StatusOK, code)
		last = out
		require.Equal(c, status, out["status"])
	}, 60*time.Second, 50*time.Millisecond, "tenant %s never reached %s", id, status)
	return last
}

func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// tenantConn is an admin connection to a tenant database, closed with the test.
func (s *stack) tenantConn(t *testing.T, name string) *pgx.Conn {
	conn, err := s.servers.Connect(t.Context(), s.servers.Local(), name)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// createTenant has the operator create a tenant on plan and waits until it is ready.
func (s *stack) createTenant(subdomain, plan string) (uuid.UUID, string) {
	s.t.Helper()
	body := signupBody(subdomain)
	body["plan_code"] = plan
	code, out := s.call(http.MethodPost, "/v1/tenants", s.operator, body)
	require.Equal(s.t, http.StatusAccepted, code, out)
	id := uuid.MustParse(out["tenant"].(map[string]any)["id"].(string))
	want := "active"
	if plan == "trial" {
		want = "trial"
	}
	s.waitStatus(id, want)
	return id, out["admin_token"].(string)
}

// startAPI starts another API replica of the stack with its own rate limiter and returns its URL.
func (s *stack) startAPI(l ratelimit.Limiter) string {
	o := s.apiOptions
	o.RateLimiter = l
	return serveAPI(s.t, o).URL
}
