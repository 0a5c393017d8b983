package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/server"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/worker"
	"github.com/landlordhq/landlord/workflows"
)

// runBench dispatches "bench onboarding" and "bench lifecycle".
func runBench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	if len(args) > 0 && args[0] == "lifecycle" {
		return benchLifecycle(ctx, cfg, log, args[1:])
	}
	if len(args) > 0 && args[0] == "transactions" {
		return benchTransactions(ctx, cfg, log, args[1:])
	}
	if len(args) > 0 && args[0] == "fleet" {
		return benchFleet(ctx, cfg, log, args[1:])
	}
	if len(args) == 0 || args[0] != "onboarding" {
		return usageError("usage: landlord bench onboarding [-n N] [-c C] [-pool] | lifecycle [-n N] | transactions [-tenants T] [-c C] [-n N] | fleet [-n N] [-p P]")
	}
	return benchOnboarding(ctx, cfg, log, args[1:])
}

// benchStack is the real stack the benchmarks drive: PostgreSQL and Temporal
// as configured, an in-process worker and API, and a platform database of its
// own that close drops with every tenant database it holds.
type benchStack struct {
	cfg      config.Config
	pool     *pgxpool.Pool
	tc       client.Client
	servers  *tenantdb.Servers
	admin    *pgxpool.Pool
	pools    *tenantdb.Pools
	queue    string
	base     string
	operator string
	box      *secrets.Box
	timeline bool // print the history of the onboarding that historyEvents counts
	close    func()
}

func startBenchStack(ctx context.Context, cfg config.Config, log *slog.Logger) (*benchStack, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pcfg, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	benchDB := "landlord_bench_" + uuid.NewString()[:8]
	userinfo := pcfg.User
	if pcfg.Password != "" {
		userinfo += ":" + pcfg.Password
	}
	cfg.DatabaseURL = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", userinfo, pcfg.Host, pcfg.Port, benchDB)
	mcfg, err := pgx.ParseConfig(cfg.MigrateDatabaseURL)
	if err != nil {
		return nil, err
	}
	owner := mcfg.User
	if mcfg.Password != "" {
		owner += ":" + mcfg.Password
	}
	cfg.MigrateDatabaseURL = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", owner, mcfg.Host, mcfg.Port, benchDB)
	cfg.LocalServerName = "local"
	if err := runMigrate(ctx, cfg, quiet); err != nil {
		return nil, err
	}
	b := &benchStack{cfg: cfg, queue: "bench-" + uuid.NewString()[:8]}
	if b.servers, err = tenantdb.NewServers(cfg.TenantDBAdminURL, cfg.TenantTemplateDB); err != nil {
		return nil, err
	}
	if b.admin, err = b.servers.Pool(ctx, b.servers.Local()); err != nil {
		return nil, err
	}
	if b.pool, b.tc, err = connect(ctx, cfg, quiet, false); err != nil {
		return nil, err
	}
	workerPool, err := db.OpenOperator(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	b.box = box
	backups, _, err := worker.Backups(ctx, cfg)
	if err != nil {
		return nil, err
	}
	w := worker.New(b.tc, b.queue, worker.Deps{Pool: workerPool, Servers: b.servers, Box: box, Billing: billing.Local{}, Backups: backups})
	w.RegisterWorkflowWithOptions(durableFloor, workflow.RegisterOptions{Name: "bench-durable-floor"})
	w.RegisterActivityWithOptions(func(ctx context.Context) error {
		_, err := workerPool.Exec(ctx, "SELECT 1")
		return err
	}, activity.RegisterOptions{Name: "bench-step"})
	if err := w.Start(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.pools = tenantdb.NewPools(b.servers, cfg.TenantPoolMaxConns, cfg.TenantPoolConnsPerTen, cfg.TenantPoolIdle)
	api := &http.Server{Handler: server.New(server.Options{Pool: b.pool, Temporal: b.tc, TaskQueue: b.queue, Log: quiet,
		Policy: workflows.LifecyclePolicy(cfg.Policy), TenantPools: b.pools, Box: box}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = api.Serve(ln) }()
	b.base = "http://" + ln.Addr().String()
	b.operator, _, _ = token.New(token.RoleOperator)
	if err := installOperatorToken(ctx, b.pool, b.operator); err != nil {
		return nil, err
	}
	b.close = func() {
		api.Close()
		b.pools.Close()
		defer workerPool.Close()
		w.Stop()
		cleanupBench(context.WithoutCancel(ctx), b.pool, b.servers, benchDB, log)
		b.tc.Close()
		b.servers.Close()
	}
	return b, nil
}

// benchOnboarding is "bench onboarding [-n N] [-c C] [-pool]": N signups
// through the HTTP API at concurrency C, timed from the POST to the end of the
// onboarding workflow, with the warm pool filled with N databases first when
// -pool is set; then the floor, N raw CREATE DATABASE ... TEMPLATE of the same
// template at the same concurrency (the drops after them are not timed).
func benchOnboarding(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlags("bench onboarding")
	n := fs.Int("n", 50, "signups to drive")
	c := fs.Int("c", 8, "signups in flight at once")
	pooled := fs.Bool("pool", false, "fill the warm pool with n databases before the signups")
	timeline := fs.Bool("timeline", false, "print the history of one onboarding, each event at its time from the first")
	profile := fs.String("cpuprofile", "", "write a CPU profile of this process (API, worker and client) while the signups run")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *n < 1 || *c < 1 {
		return usageError("-n and -c must be at least 1")
	}
	b, err := startBenchStack(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()
	b.timeline = *timeline
	queue, admin := b.queue, b.admin

	answered := make([]time.Duration, *n+1) // until the API's 202, by signup
	signup := func(i int) (time.Duration, error) {
		start := time.Now()
		_, _, err := b.signupTimed(ctx, fmt.Sprintf("bench-%s-%d", queue[6:], i), func() { answered[i] = time.Since(start) })
		return time.Since(start), err
	}
	if _, err := signup(*n); err != nil { // warm-up: connections, template, caches
		return err
	}
	var refill time.Duration
	if *pooled {
		start := time.Now()
		if err := b.fillWarmPool(ctx, *n); err != nil {
			return err
		}
		refill = time.Since(start)
	}
	stopProfile, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	lat, wall, err := drive(*n, *c, signup)
	stopProfile()
	if err != nil {
		return err
	}
	var hits int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM warm_databases WHERE claimed_by IS NOT NULL`).Scan(&hits); err != nil {
		return err
	}
	events, err := b.historyEvents(ctx, *n-1)
	if err != nil {
		return err
	}

	durable, durableWall, err := drive(*n, *c, func(i int) (time.Duration, error) {
		start := time.Now()
		run, err := b.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-durable-%s-%d", queue, i), TaskQueue: queue, EnableEagerStart: true}, "bench-durable-floor")
		if err == nil {
			err = run.Get(ctx, nil)
		}
		return time.Since(start), err
	})
	if err != nil {
		return err
	}
	floorName := func(i int) string {
		return pgx.Identifier{fmt.Sprintf("landlord_%s_floor_%d", strings.ReplaceAll(queue, "-", "_"), i)}.Sanitize()
	}
	floor, floorWall, err := drive(*n, *c, func(i int) (time.Duration, error) {
		start := time.Now()
		_, err := admin.Exec(ctx, "CREATE DATABASE "+floorName(i)+" TEMPLATE "+pgx.Identifier{cfg.TenantTemplateDB}.Sanitize())
		return time.Since(start), err
	})
	for i := range *n {
		_, _ = admin.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+floorName(i))
	}
	if err != nil {
		return err
	}
	mode := "no warm pool"
	if *pooled {
		mode = fmt.Sprintf("warm pool of %d, filled in %s", *n, refill.Round(time.Millisecond))
	}
	fmt.Printf("onboarding benchmark: n=%d concurrency=%d, %s\n", *n, *c, mode)
	fmt.Printf("%-34s %8s %8s %8s %10s\n", "", "p50", "p95", "max", "per second")
	report("signup to ready (API + workflow)", lat, wall)
	report("  of which until the API's 202", answered[:*n], wall)
	report("floor: CREATE DATABASE TEMPLATE", floor, floorWall)
	report("Temporal: workflow of 1 local step", durable, durableWall)
	fmt.Printf("ratio p50 signup/floor: %.2fx   rate signup/floor: %.2fx   pooled databases claimed: %d of %d   history events of one onboarding: %d\n",
		float64(pct(lat, 50))/float64(max(pct(floor, 50), 1)), (float64(*n)/wall.Seconds())/(float64(*n)/floorWall.Seconds()), hits, *n, events)
	return nil
}

// durableFloor is the least a durable step costs on this stack: a workflow
// of one local activity (a query on the platform database), started eagerly.
func durableFloor(ctx workflow.Context) error {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteLocalActivity(lctx, "bench-step").Get(ctx, nil)
}

// fillWarmPool runs the warm pool's refill until the local server holds size ready databases.
func (b *benchStack) fillWarmPool(ctx context.Context, size int) error {
	run, err := b.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-warm-pool-" + b.queue, TaskQueue: b.queue},
		workflows.WarmPool, workflows.WarmPoolInput{Size: size})
	if err != nil {
		return err
	}
	var res workflows.WarmPoolResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("fill the warm pool: %w", err)
	}
	if res.Ready < size {
		return fmt.Errorf("the warm pool holds %d databases, not %d", res.Ready, size)
	}
	return nil
}

// historyEvents counts the events in the history of the i-th bench signup's onboarding.
func (b *benchStack) historyEvents(ctx context.Context, i int) (int, error) {
	var id uuid.UUID
	sub := fmt.Sprintf("bench-%s-%d", b.queue[6:], i)
	if err := b.pool.QueryRow(ctx, `SELECT id FROM tenants WHERE subdomain = $1`, sub).Scan(&id); err != nil {
		return 0, fmt.Errorf("tenant %s: %w", sub, err)
	}
	it := b.tc.GetWorkflowHistory(ctx, workflows.OnboardingWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	var first time.Time
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, err
		}
		if n == 0 {
			first = e.GetEventTime().AsTime()
		}
		if b.timeline {
			fmt.Printf("  %8s %s\n", e.GetEventTime().AsTime().Sub(first).Round(100*time.Microsecond), e.GetEventType())
		}
		n++
	}
	return n, nil
}

// benchClient keeps a connection per request in flight, as a client of the
// API would (Go's default client keeps two per host, so at concurrency 16 it
// would open a new connection for most requests and time that instead).
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}

// do sends one API request and returns its status.
func (b *benchStack) do(ctx context.Context, method, path, tok, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := benchClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// signup signs a tenant up through the API and waits until its onboarding ends in trial.
func (b *benchStack) signup(ctx context.Context, subdomain string) (uuid.UUID, string, error) {
	return b.signupTimed(ctx, subdomain, func() {})
}

// signupTimed is signup, calling answered when the API has answered.
func (b *benchStack) signupTimed(ctx context.Context, subdomain string, answered func()) (uuid.UUID, string, error) {
	body, _ := json.Marshal(map[string]string{"company_name": "Bench " + subdomain, "subdomain": subdomain,
		"admin_email": "admin@" + subdomain + ".example.com", "admin_name": "Bench"})
	resp, err := benchClient.Post(b.base+"/v1/signup", "application/json", bytes.NewReader(body))
	if err != nil {
		return uuid.Nil, "", err
	}
	defer resp.Body.Close()
	answered()
	var out struct {
		Tenant     struct{ ID uuid.UUID } `json:"tenant"`
		AdminToken string                 `json:"admin_token"`
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return uuid.Nil, "", fmt.Errorf("signup %s: status %d", subdomain, resp.StatusCode)
	}
	var res workflows.OnboardingResult
	if err := b.tc.GetWorkflow(ctx, workflows.OnboardingWorkflowID(out.Tenant.ID), "").Get(ctx, &res); err != nil {
		return uuid.Nil, "", fmt.Errorf("onboarding %s: %w", subdomain, err)
	}
	if res.Status != "trial" {
		return uuid.Nil, "", fmt.Errorf("onboarding %s ended %s", subdomain, res.Status)
	}
	return out.Tenant.ID, out.AdminToken, nil
}

// drive runs f(0..n-1) with c in flight and returns each duration and the wall time.
func drive(n, c int, f func(i int) (time.Duration, error)) ([]time.Duration, time.Duration, error) {
	out := make([]time.Duration, n)
	var mu sync.Mutex
	g := errgroup.Group{}
	g.SetLimit(c)
	start := time.Now()
	for i := range n {
		g.Go(func() error {
			d, err := f(i)
			mu.Lock()
			out[i] = d
			mu.Unlock()
			return err
		})
	}
	err := g.Wait()
	return out, time.Since(start), err
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}

func report(name string, ds []time.Duration, wall time.Duration) { reportPct(name, ds, wall, 95) }

// reportPct prints p50, the given percentile, max and the rate.
func reportPct(name string, ds []time.Duration, wall time.Duration, p int) {
	r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	fmt.Printf("%-34s %8s %8s %8s %10.1f\n", name, r(pct(ds, 50)), r(pct(ds, p)), r(pct(ds, 100)), float64(len(ds))/wall.Seconds())
}

// cleanupBench drops every tenant database and role the bench created, then its platform database.
func cleanupBench(ctx context.Context, pool *pgxpool.Pool, servers *tenantdb.Servers, benchDB string, log *slog.Logger) {
	rows, err := pool.Query(ctx, `SELECT id FROM tenants`)
	if err == nil {
		ids, _ := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		for _, id := range ids {
			_ = servers.Drop(ctx, servers.Local(), tenantdb.Name(id))
		}
	}
	if rows, err := pool.Query(ctx, `SELECT id FROM warm_databases WHERE claimed_by IS NULL`); err == nil {
		ids, _ := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		for _, id := range ids {
			_ = servers.Drop(ctx, servers.Local(), tenantdb.WarmName(id))
		}
	}
	pool.Close()
	if admin, err := servers.Pool(ctx, servers.Local()); err == nil {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{benchDB}.Sanitize()+" WITH (FORCE)"); err != nil {
			log.Warn("drop bench database", "error", err)
		}
	}
}
