package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/migrations"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/workflows"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// landlordBinary builds cmd/landlord once per test run.
func landlordBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "landlord-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "landlord")
		out, err := exec.Command("go", "build", "-o", binary, filepath.Join(testenv.RepoRoot(), "cmd", "landlord")).CombinedOutput()
		if err != nil {
			buildErr = err
			t.Log(string(out))
		}
	})
	require.NoError(t, buildErr)
	return binary
}

// startWorker runs `landlord worker` as a separate process against the stack.
func (s *stack) startWorker(t *testing.T, extraEnv ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(landlordBinary(t), "worker")
	cmd.Env = append(s.processEnv(), extraEnv...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("worker %d output:\n%s", cmd.Process.Pid, logs.String())
		}
	})
	return cmd, &logs
}

// TestWorkerKilledDuringSeedStillOnboardsOnce kills the worker with SIGKILL
// after the tenant database exists but before the seed finished; a new worker
// takes over and the tenant ends in trial with one database, one admin, one email.
func TestWorkerKilledDuringSeedStillOnboardsOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true})
	first, _ := s.startWorker(t, "LANDLORD_STEP_DELAY=seed_tenant=30s")
	id, _ := s.signup(signupBody("crashy"))

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		v, err := s.temporal.QueryWorkflow(t.Context(), workflows.OnboardingWorkflowID(id), "", workflows.OnboardingProgressQuery)
		require.NoError(c, err)
		var p workflows.OnboardingProgress
		require.NoError(c, v.Get(&p))
		require.Equal(c, workflows.StepProvision, p.Step)
		database, _, err := s.servers.Exists(t.Context(), s.servers.Local(), tenantdb.Name(id))
		require.NoError(c, err)
		require.True(c, database, "the tenant database exists before the crash")
	}, 60*time.Second, 50*time.Millisecond)
	// The step's first attempt runs inside a workflow task, which answers the
	// progress query only when it ends (at most a few seconds); a slow step
	// goes on as an activity, and the query is answered at once.
	var tenant map[string]any
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String(), s.operator, nil)
		require.Equal(c, http.StatusOK, code)
		assert.Equal(c, "provisioning", out["status"])
		assert.Equal(c, map[string]any{"step": "provision_database", "done": []any{"register"}, "error": nil},
			out["onboarding"], "the API shows the running onboarding's progress")
	}, 15*time.Second, 100*time.Millisecond)

	require.NoError(t, first.Process.Kill()) // SIGKILL: no cleanup, no goodbye to Temporal
	_ = first.Wait()
	s.startWorker(t)

	tenant = s.waitStatus(id, "trial")
	assert.Equal(t, "done", tenant["onboarding"].(map[string]any)["step"])
	var databases, history, notifications int
	ctx := t.Context()
	require.NoError(t, s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, tenantdb.Name(id)).Scan(&databases))
	require.NoError(t, s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM tenant_status_history WHERE tenant_id = $1`, id).Scan(&history))
	require.NoError(t, s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE tenant_id = $1`, id).Scan(&notifications))
	assert.Equal(t, 1, databases)
	assert.Equal(t, 2, history, "provisioning and trial, once each")
	assert.Equal(t, 1, notifications, "one welcome email")

	conn := s.tenantConn(t, tenantdb.Name(id))
	var admins, companies int
	require.NoError(t, conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM companies)`).Scan(&admins, &companies))
	assert.Equal(t, 1, admins)
	assert.Equal(t, 1, companies)

}

// TestWorkerKilledBeforeTheChargeChargesOnceThenGrants kills the worker after
// the upgrade's invoice is finalized at Stripe, before the charge (nothing is
// granted yet); a new worker finishes: one invoice, one Stripe invoice, one
// charge, the new plan, one email.
func TestWorkerKilledBeforeTheChargeChargesOnceThenGrants(t *testing.T) {
	t.Parallel()
	rec := testenv.RecordStripe(t)
	stripeURL := rec.URL
	s := newStack(t, stackOptions{noWorker: true, workflowWait: time.Second})
	stripeEnv := []string{"STRIPE_SECRET_KEY=sk_test_e2e", "STRIPE_API_BASE=" + stripeURL}
	first, _ := s.startWorker(t, append(stripeEnv, "LANDLORD_STEP_DELAY=charge_invoice=60s")...)
	id, _ := s.createTenant("crash-pay", "starter")
	s.setPaymentMethod(id, "pm_card_visa")

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", s.operator, map[string]any{"reason": "asked by the customer", "plan_code": "professional"})
	require.Equal(t, http.StatusAccepted, code, out)
	assert.Equal(t, "plan-change/"+id.String(), out["workflow_id"])
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var status string
		require.NoError(c, s.db.Pool.QueryRow(t.Context(), `SELECT status FROM invoices WHERE tenant_id = $1`, id).Scan(&status))
		require.Equal(c, "open", status)
	}, 60*time.Second, 50*time.Millisecond, "the invoice is finalized at Stripe before the crash")
	assert.Equal(t, "starter", s.tenantRow(id).PlanCode, "nothing is granted before it is paid")

	require.NoError(t, first.Process.Kill())
	_ = first.Wait()
	s.startWorker(t, stripeEnv...)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var status string
		require.NoError(c, s.db.Pool.QueryRow(t.Context(), `SELECT status FROM invoices WHERE tenant_id = $1`, id).Scan(&status))
		require.Equal(c, "paid", status)
		var emails int
		require.NoError(c, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'plan_changed'`, id).Scan(&emails))
		require.Equal(c, 1, emails)
	}, 90*time.Second, 100*time.Millisecond)

	var invoices, payments int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM invoices WHERE tenant_id = $1),
		(SELECT count(*) FROM payments WHERE tenant_id = $1)`, id).Scan(&invoices, &payments))
	assert.Equal(t, 1, invoices)
	assert.Equal(t, 1, payments)
	assert.Equal(t, "professional", s.tenantRow(id).PlanCode, "granted once paid")
	assert.Equal(t, 1, rec.Count(`^POST /v1/invoices key=invoice/`), "one Stripe invoice")
	assert.Equal(t, 1, rec.Count(`^POST /v1/invoices/[^/]+/pay `), "one charge")
	assert.Equal(t, "professional", s.tenantRow(id).PlanCode)
}

// TestWorkerKilledDuringSuspensionSuspendsOnce kills the worker after the
// tenant is marked suspended, before its database is closed; the new worker
// closes it, and the tenant is suspended once with one email.
func TestWorkerKilledDuringSuspensionSuspendsOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true, workflowWait: time.Second})
	first, _ := s.startWorker(t, "LANDLORD_STEP_DELAY=converge_access=60s")
	id, _ := s.createTenant("crash-suspend", "starter")

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "abuse report"})
	require.Equal(t, http.StatusAccepted, code, out)
	s.waitStatus(id, "suspended")
	require.NoError(t, first.Process.Kill())
	_ = first.Wait()
	s.startWorker(t)

	s.waitAccess(id, false)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'suspended' AND status = 'queued'`, id))
	}, 60*time.Second, 100*time.Millisecond)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM tenant_status_history WHERE tenant_id = $1 AND to_status = 'suspended'`, id))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'TENANT_SUSPENDED'`, id))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'suspended'`, id))
}

func TestWorkerRefusesToRunAsASuperuser(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	cmd := exec.Command(landlordBinary(t), "worker")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+d.URL, "TEMPORAL_ADDRESS="+testenv.TemporalAddress(t), "LANDLORD_SECRET_KEY="+testSecret)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the worker must not start")
	assert.Contains(t, string(out), "refusing to run as database role")
}

// TestWorkerKilledDuringCreateDatabaseIsReplacedWithinSeconds kills the worker
// while it creates the tenant database; the heartbeat timeout, not the step's
// two-minute bound, decides when a new worker takes the step over.
func TestWorkerKilledDuringCreateDatabaseIsReplacedWithinSeconds(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true})
	first, _ := s.startWorker(t, "LANDLORD_STEP_DELAY=create_database=60s")
	id, _ := s.signup(signupBody("crash-createdb"))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		v, err := s.temporal.QueryWorkflow(t.Context(), workflows.OnboardingWorkflowID(id), "", workflows.OnboardingProgressQuery)
		require.NoError(c, err)
		var p workflows.OnboardingProgress
		require.NoError(c, v.Get(&p))
		require.Equal(c, workflows.StepProvision, p.Step)
	}, 60*time.Second, 50*time.Millisecond)

	require.NoError(t, first.Process.Kill())
	_ = first.Wait()
	s.startWorker(t)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String(), s.operator, nil)
		require.Equal(c, http.StatusOK, code)
		require.Equal(c, "trial", out["status"])
	}, 10*time.Second, 50*time.Millisecond, "a new worker finishes the onboarding within 10 seconds of taking over")
	database, _, err := s.servers.Exists(t.Context(), s.servers.Local(), tenantdb.Name(id))
	require.NoError(t, err)
	assert.True(t, database)
}

// TestWorkerKilledDuringAFleetMigrationMigratesEachTenantOnce: two tenant
// databases are a migration behind; the worker of the release starts the
// rollout itself and is killed with SIGKILL while migrating the first; the
// next worker finishes the same rollout (it starts no second one), and each
// database is migrated once and recorded once.
func TestWorkerKilledDuringAFleetMigrationMigratesEachTenantOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true})
	first, _ := s.startWorker(t)
	var ids []uuid.UUID
	for _, sub := range []string{"fleet-kill-a", "fleet-kill-b", "fleet-kill-c"} {
		id, _ := s.createTenant(sub, "starter")
		ids = append(ids, id)
	}
	require.NoError(t, first.Process.Kill())
	_ = first.Wait()
	// Two databases lose the newest migration, as if made before it shipped.
	newest, err := fs.Glob(migrations.Tenant, fmt.Sprintf("tenant/%05d_*.sql", shipped))
	require.NoError(t, err)
	require.Len(t, newest, 1)
	text, err := fs.ReadFile(migrations.Tenant, newest[0])
	require.NoError(t, err)
	_, down, ok := strings.Cut(string(text), "-- +goose Down")
	require.True(t, ok)
	down = strings.NewReplacer("-- +goose StatementBegin", "", "-- +goose StatementEnd", "").Replace(down)
	for _, id := range ids[:2] {
		conn := s.tenantConn(t, tenantdb.Name(id))
		_, err := conn.Exec(t.Context(), down)
		require.NoError(t, err)
		_, err = conn.Exec(t.Context(), `DELETE FROM schema_migrations WHERE version_id = $1`, shipped)
		require.NoError(t, err)
		_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET schema_version = $2 WHERE id = $1`, id, shipped-1)
		require.NoError(t, err)
	}

	doomed, _ := s.startWorker(t, "LANDLORD_STEP_DELAY=fleet_migrate=2s")
	var fleet uuid.UUID
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.NoError(c, s.db.Pool.QueryRow(t.Context(), `SELECT id FROM fleet_migrations`).Scan(&fleet))
	}, 30*time.Second, 50*time.Millisecond, "the worker never started the rollout")
	time.Sleep(time.Second) // inside the first tenant's step
	require.NoError(t, doomed.Process.Kill())
	_ = doomed.Wait()
	var recorded int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM fleet_migration_tenants`).Scan(&recorded))
	require.Equal(t, 0, recorded, "killed before any tenant's step finished")

	s.startWorker(t)
	done := s.fleetStatus("/v1/fleet/migrations/"+fleet.String(), "completed")
	assert.Equal(t, float64(2), done["total"])
	assert.Equal(t, float64(2), done["migrated"])
	assert.Equal(t, "worker", done["started_by"])
	var rollouts int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM fleet_migrations`).Scan(&rollouts))
	assert.Equal(t, 1, rollouts, "the second worker joined the open rollout")
	for _, id := range ids {
		conn := s.tenantConn(t, tenantdb.Name(id))
		var version, applied int64
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT max(version_id), count(*) FILTER (WHERE version_id = $1) FROM schema_migrations WHERE is_applied`, shipped).Scan(&version, &applied))
		assert.Equal(t, shipped, version)
		assert.Equal(t, int64(1), applied, "the newest migration applied once")
		assert.Equal(t, shipped, *s.tenantRow(id).SchemaVersion)
	}
}

// TestWorkerKilledDuringAMoveCopyMovesTheTenantOnce: the worker is killed
// with SIGKILL while copying a tenant's database to a second server; the next
// worker copies it again from the start and switches once: every row there,
// one TENANT_MOVED, and the tenant served from the new server.
func TestWorkerKilledDuringAMoveCopyMovesTheTenantOnce(t *testing.T) {
	t.Parallel()
	second := testenv.StartTLSPostgres(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, second.CAPEM, 0o600))
	s := newStack(t, stackOptions{noWorker: true, tenantDBRoots: second.Roots, moveDropAfter: time.Hour})
	first, _ := s.startWorker(t, "TENANT_DB_CA_FILE="+ca)
	id, admin := s.createTenant("move-kill", "professional")
	code, out := s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": "branch", "name": "Branch"})
	require.Equal(t, http.StatusCreated, code, out)
	require.NoError(t, first.Process.Kill())
	_ = first.Wait()
	s.registerServer("second", second)
	name := tenantdb.Name(id)
	before, err := s.servers.Fingerprint(t.Context(), s.servers.Local(), name)
	require.NoError(t, err)

	doomed, _ := s.startWorker(t, "TENANT_DB_CA_FILE="+ca, "LANDLORD_STEP_DELAY=move_copy=3s")
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "second", "reason": "crash test"})
	require.Equal(t, http.StatusAccepted, code, out)
	target := s.serverAt(t, "second")
	require.EventuallyWithT(t, func(c *assert.CollectT) { // the copy's database is made: the copy step is next
		database, _, err := s.servers.Exists(t.Context(), target, name)
		require.NoError(c, err)
		require.True(c, database)
	}, 30*time.Second, 50*time.Millisecond)
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, doomed.Process.Kill())
	_ = doomed.Wait()
	assert.Equal(t, "local", s.databaseServerOf(id), "killed before the switch: still where it was")

	s.startWorker(t, "TENANT_DB_CA_FILE="+ca)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, "second", s.databaseServerOf(id))
	}, 60*time.Second, 100*time.Millisecond, "the next worker never finished the move")
	after, err := s.servers.Fingerprint(t.Context(), target, name)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, 1, len(s.actions(id, "TENANT_MOVED")), "switched once")
	code, out = s.call(http.MethodGet, "/v1/companies", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["companies"], 2)
}
