package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/testenv"
)

var (
	chaosSeed    = flag.Uint64("chaos-seed", 1, "seed of the invariant checker's choices (0: a new one, logged)")
	chaosOps     = flag.Int("chaos-ops", 48, "operations the invariant checker drives")
	chaosTenants = flag.Int("chaos-tenants", 6, "tenants the invariant checker drives")
)

// process is a landlord process the checker can kill -9 and start again.
type process struct {
	mu   sync.Mutex
	args []string
	env  []string
	cmd  *exec.Cmd
	logs bytes.Buffer
}

func (p *process) start(binary string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cmd = exec.Command(binary, p.args...)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	return p.cmd.Start()
}

func (p *process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.cmd.Process.Kill() // SIGKILL: no cleanup, no goodbye
	_ = p.cmd.Wait()
}

// TestInvariantsHoldUnderRandomInterleavings drives tenants through seeded
// random interleavings — signups, plan changes up and down, payment methods
// that pay or decline, Stripe webhooks (duplicated, out of order), operators'
// suspensions, reactivations and deletes, sweeps on a compressed calendar,
// racing company writes — against two `landlord api` and two `landlord worker`
// processes that it kills with SIGKILL and starts again, then lets the system
// settle and checks, for every tenant, the invariants landlord promises. A
// failure names its seed: -args -chaos-seed N replays the same choices
// (-chaos-ops and -chaos-tenants make longer runs).
func TestInvariantsHoldUnderRandomInterleavings(t *testing.T) {
	t.Parallel()
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d: go test ./e2e -run TestInvariantsHold -args -chaos-seed %d", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var rngMu sync.Mutex
	pick := func(n int) int { rngMu.Lock(); defer rngMu.Unlock(); return rng.IntN(n) }

	s := newStack(t, stackOptions{noWorker: true, workflowWait: 5 * time.Second})
	env := append(s.processEnv(), "SIGNUP_RATE_PER_HOUR=0", "STRIPE_WEBHOOK_SECRET="+webhookSecret,
		"TRIAL_REMINDER_BEFORE=1h", "GRACE_PERIOD=4s", "DUNNING_RETRIES=1s,2s", "RETENTION_PERIOD=2s",
		"SUSPENDED_OFFBOARD_AFTER=1h", "OFFBOARD_WARNING=1m", "TENANT_POOL_MAX_CONNS=20")
	var procs []*process
	var apis []string
	for range 2 {
		procs = append(procs, &process{args: []string{"worker"}, env: env})
		addr := freeAddr(t)
		apis = append(apis, "http://"+addr)
		apiHosts.Store(addr, true)
		procs = append(procs, &process{args: []string{"api"}, env: append(append([]string{}, env...), "LISTEN_ADDR="+addr)})
	}
	// And the two behind one address, as make run-cluster and a load balancer put them.
	front := freeAddr(t)
	procs = append(procs, &process{args: []string{"proxy", "-listen", front, "-to", strings.Join(apis, ",")}, env: env})
	apis = append(apis, "http://"+front)
	apiHosts.Store(front, true)
	binary := landlordBinary(t)
	for _, p := range procs {
		require.NoError(t, p.start(binary))
		t.Cleanup(p.kill)
	}
	for _, api := range apis {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			resp, err := http.Get(api + "/healthz")
			require.NoError(c, err)
			resp.Body.Close()
			require.Equal(c, http.StatusOK, resp.StatusCode)
		}, 60*time.Second, 100*time.Millisecond)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range procs {
				t.Logf("%v output:\n%s", p.args, p.logs.String())
			}
		}
	})
	call := func(method, path, tok string, body any) (int, map[string]any) {
		code, out, _ := send(apis[pick(len(apis))], method, path, tok, body, nil) // a replica that is down answers 0
		return code, out
	}

	// The tenants: trials and paid ones, each with its admin token.
	type tenant struct {
		id    uuid.UUID
		admin string
	}
	tenants := make([]tenant, *chaosTenants)
	for i := range tenants {
		body := signupBody(fmt.Sprintf("chaos-%d", i))
		if i%2 == 1 {
			body["plan_code"] = []string{"starter", "professional"}[pick(2)]
		}
		tok := ""
		path := "/v1/signup"
		if i%2 == 1 {
			tok, path = s.operator, "/v1/tenants"
		}
		var out map[string]any
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			var code int
			code, out = call(http.MethodPost, path, tok, body)
			require.Equal(c, http.StatusAccepted, code, out)
		}, 30*time.Second, 100*time.Millisecond)
		tenants[i] = tenant{id: uuid.MustParse(out["tenant"].(map[string]any)["id"].(string)), admin: out["admin_token"].(string)}
	}
	for _, tn := range tenants {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			require.Contains(c, []string{"trial", "active"}, string(s.tenantRow(tn.id).Status))
		}, 60*time.Second, 100*time.Millisecond)
	}

	var kills, ops atomic.Int64
	operations := []struct {
		name string
		do   func(tn tenant)
	}{
		{"change plan", func(tn tenant) {
			body := map[string]any{"plan_code": []string{"starter", "professional", "enterprise"}[pick(3)]}
			if pick(2) == 0 {
				body["effective"] = "immediate"
			}
			who := []string{tn.admin, s.operator}[pick(2)]
			call(http.MethodPost, "/v1/tenants/"+tn.id.String()+"/plan", who, body)
		}},
		{"payment method", func(tn tenant) {
			pm := []string{"pm_card_visa", "pm_card_visa", "pm_card_chargeDeclined"}[pick(3)]
			call(http.MethodPut, "/v1/tenants/"+tn.id.String()+"/payment-method", tn.admin, map[string]any{"payment_method": pm})
		}},
		{"suspend", func(tn tenant) {
			call(http.MethodPost, "/v1/tenants/"+tn.id.String()+"/suspend", s.operator, map[string]any{"reason": "chaos hold"})
		}},
		{"reactivate", func(tn tenant) {
			call(http.MethodPost, "/v1/tenants/"+tn.id.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
		}},
		{"delete", func(tn tenant) {
			if pick(3) == 0 { // rarer: it ends the tenant's part in the run
				call(http.MethodDelete, "/v1/tenants/"+tn.id.String()+"?reason=closing", s.operator, nil)
			}
		}},
		{"trial ends", func(tn tenant) {
			s.travel(tn.id, "trial_ends_at")
			call(http.MethodPost, "/v1/sweeps/trials", s.operator, nil)
		}},
		{"period ends", func(tn tenant) {
			s.travel(tn.id, "current_period_end")
			call(http.MethodPost, "/v1/sweeps/renewals", s.operator, nil)
		}},
		{"grace ends", func(tn tenant) {
			s.travel(tn.id, "grace_until")
			call(http.MethodPost, "/v1/sweeps/dunning", s.operator, nil)
		}},
		{"stripe webhooks", func(tn tenant) {
			var provider string
			if s.db.Pool.QueryRow(s.t.Context(), `SELECT provider_invoice_id FROM invoices WHERE tenant_id = $1 AND status = 'open'
				AND provider_invoice_id IS NOT NULL ORDER BY created_at LIMIT 1`, tn.id).Scan(&provider) != nil {
				return
			}
			evt := "evt_chaos_" + strconv.Itoa(pick(1<<30))
			types := []string{"invoice.paid", "invoice.payment_failed"}
			for range 2 { // duplicated, and a failure that may come after the payment
				postWebhookTo(apis[pick(len(apis))], evt, types[0], provider, webhookSecret, time.Now())
			}
			postWebhookTo(apis[pick(len(apis))], evt+"_late", types[1], provider, webhookSecret, time.Now())
		}},
		{"companies race", func(tn tenant) {
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					call(http.MethodPost, "/v1/companies", tn.admin, map[string]any{"code": fmt.Sprintf("c%d-%d", pick(1<<20), i), "name": "Chaos"})
				})
			}
			wg.Wait()
		}},
		{"kill -9", func(tenant) {
			p := procs[pick(len(procs))]
			p.kill()
			kills.Add(1)
			if err := p.start(binary); err != nil {
				t.Errorf("restart %v: %v", p.args, err)
			}
		}},
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for ops.Add(1) <= int64(*chaosOps) {
				op := operations[pick(len(operations))]
				op.do(tenants[pick(len(tenants))])
			}
		})
	}
	wg.Wait()

	// Settle: nothing but trial ends waiting for their trials' ends still runs.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		resp, err := s.temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running' AND WorkflowType != 'TrialEnd'", s.taskQueue)})
		require.NoError(c, err)
		require.Empty(c, resp.Executions, "still running")
	}, 3*time.Minute, time.Second)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, v := range s.violations() {
			c.Errorf("%s", v)
		}
	}, 30*time.Second, time.Second, "invariants")
	t.Logf("seed %d: %d tenants, %d operations, %d processes killed, invariants held", seed, len(tenants), *chaosOps, kills.Load())
}

// violations lists every broken invariant, one line each.
func (s *stack) violations() []string {
	ctx := s.t.Context()
	var out []string
	count := func(what, query string) {
		var n int
		if err := s.db.Pool.QueryRow(ctx, query).Scan(&n); err != nil {
			out = append(out, what+": "+err.Error())
		} else if n > 0 {
			out = append(out, fmt.Sprintf("%s: %d", what, n))
		}
	}
	count("active on the trial plan", `SELECT count(*) FROM tenants WHERE status IN ('active', 'past_due') AND plan_code = 'trial'`)
	count("an invoice paid more than once", `SELECT count(*) FROM (SELECT invoice_id FROM payments WHERE status = 'succeeded'
		GROUP BY invoice_id HAVING count(*) > 1) x`)
	count("payments above an invoice's total", `SELECT count(*) FROM invoices i WHERE (SELECT COALESCE(sum(amount_cents), 0)
		FROM payments p WHERE p.invoice_id = i.id AND p.status = 'succeeded') > i.total_cents`)
	count("a paid invoice with nothing paid", `SELECT count(*) FROM invoices i WHERE status = 'paid' AND total_cents > 0
		AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id AND p.status = 'succeeded')`)
	overlaps, err := s.db.Pool.Query(ctx, `SELECT a.tenant_id::text || ': ' || a.number || ' ' || a.status || ' ' || a.period_start::text || '..' || a.period_end::text
		|| ' and ' || b.number || ' ' || b.status || ' ' || b.period_start::text || '..' || b.period_end::text
		FROM invoices a JOIN invoices b ON a.tenant_id = b.tenant_id AND a.id < b.id
		WHERE a.idempotency_key LIKE 'period/%' AND b.idempotency_key LIKE 'period/%' AND a.status <> 'void' AND b.status <> 'void'
		AND tstzrange(a.period_start, a.period_end) && tstzrange(b.period_start, b.period_end)`)
	if err == nil {
		both, _ := pgx.CollectRows(overlaps, pgx.RowTo[string])
		for _, o := range both {
			out = append(out, "billing periods that overlap: "+o)
		}
	}
	count("cancelled by neither an operator nor an unpaid suspension", `SELECT count(*) FROM tenant_status_history
		WHERE to_status = 'cancelled' AND actor NOT LIKE 'operator:%' AND NOT (from_status = 'suspended' AND reason = 'unpaid')`)
	count("a billing hold left behind", `SELECT count(*) FROM tenants WHERE billing_hold IS NOT NULL`)
	count("a live tenant without its database", `SELECT count(*) FROM tenants t WHERE status IN ('trial', 'active', 'past_due')
		AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = t.database_name)`)
	count("an archived tenant's database or role left", `SELECT count(*) FROM tenants t WHERE status = 'archived'
		AND (EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = t.database_name)
		     OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = t.database_name))`)
	count("database access that disagrees with the status", `SELECT count(*) FROM tenants t JOIN pg_database d ON d.datname = t.database_name
		WHERE t.status IN ('trial', 'active', 'past_due', 'suspended', 'cancelled', 'archiving')
		AND (d.datallowconn, has_database_privilege(t.database_name, d.datname, 'CONNECT'))
		    IS DISTINCT FROM (t.status IN ('trial', 'active', 'past_due'), t.status IN ('trial', 'active', 'past_due'))`)
	count("sessions in a blocked tenant's database", `SELECT count(*) FROM pg_stat_activity a JOIN tenants t ON a.datname = t.database_name
		WHERE t.status IN ('suspended', 'cancelled') AND a.usename = t.database_name`)

	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT from_status, to_status FROM tenant_status_history WHERE from_status IS NOT NULL`)
	if err == nil {
		pairs, _ := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lifecycle.Pair, error) {
			var p lifecycle.Pair
			return p, r.Scan(&p.From, &p.To)
		})
		for _, p := range pairs {
			if !slices.Contains(lifecycle.Pairs(), p) {
				out = append(out, fmt.Sprintf("a move the lifecycle does not have: %s -> %s", p.From, p.To))
			}
		}
	}

	// Limits: no live tenant holds more companies than its plan allows.
	live, err := s.db.Pool.Query(ctx, `SELECT database_name, max_companies FROM tenants WHERE status IN ('trial', 'active', 'past_due')`)
	if err == nil {
		type row struct {
			Name string
			Max  int
		}
		ts, _ := pgx.CollectRows(live, pgx.RowToStructByPos[row])
		for _, tn := range ts {
			conn, err := s.servers.Connect(ctx, s.servers.Local(), tn.Name)
			if err != nil {
				out = append(out, "reach "+tn.Name+": "+err.Error())
				continue
			}
			var n int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM companies`).Scan(&n); err == nil && n > tn.Max {
				out = append(out, fmt.Sprintf("%s holds %d companies on a limit of %d", tn.Name, n, tn.Max))
			}
			conn.Close(ctx)
		}
	}
	return out
}

// travel moves one of a tenant's dates to now, and every date of its billing
// history with it, as if that much time had passed: a compressed calendar.
func (s *stack) travel(id uuid.UUID, column string) {
	_ = pgx.BeginFunc(s.t.Context(), s.db.Pool, func(tx pgx.Tx) error {
		var shift time.Duration
		if err := tx.QueryRow(s.t.Context(), `SELECT GREATEST(`+pgx.Identifier{column}.Sanitize()+` - now(), interval '0')
			FROM tenants WHERE id = $1 AND `+pgx.Identifier{column}.Sanitize()+` IS NOT NULL FOR UPDATE`, id).Scan(&shift); err != nil {
			return err
		}
		if _, err := tx.Exec(s.t.Context(), `UPDATE tenants SET trial_ends_at = trial_ends_at - $2::interval,
			current_period_start = current_period_start - $2::interval, current_period_end = current_period_end - $2::interval,
			grace_until = grace_until - $2::interval WHERE id = $1`, id, shift); err != nil {
			return err
		}
		if _, err := tx.Exec(s.t.Context(), `UPDATE invoice_lines l SET period_start = l.period_start - $2::interval,
			period_end = l.period_end - $2::interval FROM invoices i WHERE l.invoice_id = i.id AND i.tenant_id = $1`, id, shift); err != nil {
			return err
		}
		_, err := tx.Exec(s.t.Context(), `UPDATE invoices SET period_start = period_start - $2::interval,
			period_end = period_end - $2::interval WHERE tenant_id = $1`, id, shift)
		return err
	})
}

// processEnv is what a landlord process needs to join the stack.
func (s *stack) processEnv() []string {
	return append(os.Environ(),
		"DATABASE_URL="+s.db.AppURL,
		"TENANT_DB_ADMIN_URL="+testenv.AdminURL(),
		"TENANT_TEMPLATE_DB="+s.db.TenantTemplateDB,
		"TEMPORAL_ADDRESS="+testenv.TemporalAddress(s.t),
		"TEMPORAL_TASK_QUEUE="+s.taskQueue,
		"LANDLORD_SECRET_KEY="+testSecret,
		"BACKUP_DIR="+s.backups,
		"STRIPE_SECRET_KEY=", "SENDGRID_API_KEY=", "TWILIO_ACCOUNT_SID=",
	)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
