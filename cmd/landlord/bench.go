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
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/server"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/worker"
	"github.com/landlordhq/landlord/workflows"
)

// runBench is "bench onboarding [-n N] [-c C]": N signups through the HTTP API
// at concurrency C against the real stack (PostgreSQL, Temporal, worker, API,
// in a platform database of its own that it drops afterwards), timed from the
// POST to the end of the onboarding workflow; then the floor, N raw CREATE
// DATABASE ... TEMPLATE of the same template at the same concurrency.
func runBench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	if len(args) == 0 || args[0] != "onboarding" {
		return usageError("usage: landlord bench onboarding [-n N] [-c C]")
	}
	fs := newFlags("bench onboarding")
	n := fs.Int("n", 50, "signups to drive")
	c := fs.Int("c", 8, "signups in flight at once")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if *n < 1 || *c < 1 {
		return usageError("-n and -c must be at least 1")
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// A platform database of the bench's own, on the configured server.
	pcfg, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	benchDB := "landlord_bench_" + uuid.NewString()[:8]
	cfg.DatabaseURL = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", pcfg.User, pcfg.Host, pcfg.Port, benchDB)
	if pcfg.Password != "" {
		cfg.DatabaseURL = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", pcfg.User, pcfg.Password, pcfg.Host, pcfg.Port, benchDB)
	}
	cfg.LocalServerName = "local"
	if err := runMigrate(ctx, cfg, quiet); err != nil {
		return err
	}
	servers, err := tenantdb.NewServers(cfg.TenantDBAdminURL, cfg.TenantTemplateDB)
	if err != nil {
		return err
	}
	defer servers.Close()
	admin, err := servers.Pool(ctx, servers.Local())
	if err != nil {
		return err
	}
	pool, tc, err := connect(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer func() {
		cleanupBench(context.WithoutCancel(ctx), pool, servers, benchDB, log)
		tc.Close()
	}()

	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		return err
	}
	queue := "bench-" + uuid.NewString()[:8]
	w := worker.New(tc, queue, worker.Deps{Pool: pool, Servers: servers, Box: box, Billing: billing.Local{}})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	api := &http.Server{Handler: server.New(server.Options{Pool: pool, Temporal: tc, TaskQueue: queue, Log: quiet})}
	go func() { _ = api.Serve(ln) }()
	defer api.Close()
	base := "http://" + ln.Addr().String()

	signup := func(i int) (time.Duration, error) {
		body, _ := json.Marshal(map[string]string{"company_name": fmt.Sprintf("Bench %d", i),
			"subdomain": fmt.Sprintf("bench-%s-%d", queue[6:], i), "admin_email": fmt.Sprintf("admin%d@bench.example.com", i), "admin_name": "Bench"})
		start := time.Now()
		resp, err := http.Post(base+"/v1/signup", "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var out struct {
			Tenant struct{ ID uuid.UUID } `json:"tenant"`
		}
		if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&out) != nil {
			return 0, fmt.Errorf("signup %d: status %d", i, resp.StatusCode)
		}
		var res workflows.OnboardingResult
		if err := tc.GetWorkflow(ctx, workflows.OnboardingWorkflowID(out.Tenant.ID), "").Get(ctx, &res); err != nil {
			return 0, fmt.Errorf("onboarding %d: %w", i, err)
		}
		if res.Status != "trial" {
			return 0, fmt.Errorf("onboarding %d ended %s", i, res.Status)
		}
		return time.Since(start), nil
	}
	if _, err := signup(*n); err != nil { // warm-up: connections, template, caches
		return err
	}
	lat, wall, err := drive(*n, *c, signup)
	if err != nil {
		return err
	}

	floor, floorWall, err := drive(*n, *c, func(i int) (time.Duration, error) {
		name := fmt.Sprintf("%s_floor_%d", benchDB, i)
		start := time.Now()
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{cfg.TenantTemplateDB}.Sanitize()); err != nil {
			return 0, err
		}
		d := time.Since(start)
		_, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize())
		return d, err
	})
	if err != nil {
		return err
	}
	fmt.Printf("onboarding benchmark: n=%d concurrency=%d\n", *n, *c)
	fmt.Printf("%-34s %8s %8s %8s %10s\n", "", "p50", "p95", "max", "per second")
	report("signup to ready (API + workflow)", lat, wall)
	report("floor: CREATE DATABASE TEMPLATE", floor, floorWall)
	fmt.Printf("ratio p50 signup/floor: %.1fx\n", float64(pct(lat, 50))/float64(max(pct(floor, 50), 1)))
	return nil
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

func report(name string, ds []time.Duration, wall time.Duration) {
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	fmt.Printf("%-34s %8s %8s %8s %10.1f\n", name, r(pct(ds, 50)), r(pct(ds, 95)), r(pct(ds, 100)), float64(len(ds))/wall.Seconds())
}

// cleanupBench drops every tenant database and role the bench created, then its platform database.
func cleanupBench(ctx context.Context, pool *pgxpool.Pool, servers *tenantdb.Servers, benchDB string, log *slog.Logger) {
	rows, err := pool.Query(ctx, `SELECT id FROM tenants`)
	if err == nil {
		ids, _ := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		for _, id := range ids {
			_ = servers.DropDatabase(ctx, servers.Local(), tenantdb.Name(id))
			_ = servers.DropRole(ctx, servers.Local(), tenantdb.Name(id))
		}
	}
	pool.Close()
	if admin, err := servers.Pool(ctx, servers.Local()); err == nil {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{benchDB}.Sanitize()+" WITH (FORCE)"); err != nil {
			log.Warn("drop bench database", "error", err)
		}
	}
}
