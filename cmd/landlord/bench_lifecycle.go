package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// benchLifecycle is "bench lifecycle [-n N]": N tenants in the platform
// database, 1% of them with a trial that has ended; the trial sweep must start
// exactly those. Then the suspension effect time of a real tenant: from the
// API call to no session in pg_stat_activity and 403 on its admin's token.
func benchLifecycle(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlags("bench lifecycle")
	n := fs.Int("n", 100000, "tenants in the platform database")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	b, err := startBenchStack(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()

	start := time.Now()
	if _, err := b.pool.Exec(ctx, `
		INSERT INTO tenants (id, tenant_code, tenant_name, subdomain, status, plan_code, max_companies, max_users_per_company,
		                     max_transactions_per_month, max_storage_gb, api_rate_limit_per_hour, admin_email, admin_name,
		                     billing_email, trial_ends_at)
		SELECT gen_random_uuid(), 'bulk_' || g, 'Bulk ' || g, 'bulk-' || g, 'trial', 'trial', 1, 3, 100, 1, 1000,
		       'a' || g || '@bench.example.com', 'A', 'a' || g || '@bench.example.com',
		       CASE WHEN g % 100 = 0 THEN now() - interval '1 hour' ELSE now() + interval '30 days' END
		FROM generate_series(1, $1) g`, *n); err != nil {
		return fmt.Errorf("insert tenants: %w", err)
	}
	if _, err := b.pool.Exec(ctx, `ANALYZE tenants`); err != nil {
		return err
	}
	var due int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM tenants WHERE status = 'trial' AND trial_ends_at <= now()`).Scan(&due); err != nil {
		return err
	}
	fmt.Printf("lifecycle benchmark: %d tenants (inserted in %s), %d with an ended trial\n", *n, time.Since(start).Round(time.Millisecond), due)
	rows, err := b.pool.Query(ctx, `EXPLAIN SELECT id, trial_ends_at FROM tenants WHERE status = 'trial' AND trial_end_started_for IS DISTINCT FROM trial_ends_at AND trial_ends_at <= now()
		AND (trial_ends_at, id) > ('-infinity'::timestamptz, '00000000-0000-0000-0000-000000000000'::uuid) ORDER BY trial_ends_at, id LIMIT 200`)
	if err != nil {
		return err
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	fmt.Printf("trial sweep page plan:\n  %s\n", strings.Join(plan, "\n  "))

	// The reminder lead is zeroed so the sweep's cutoff is "now": only ended trials are due.
	policy := workflows.LifecyclePolicy(cfg.Policy)
	policy.TrialReminder = 0
	start = time.Now()
	run, err := b.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-sweep-" + uuid.NewString()[:8], TaskQueue: b.queue}, workflows.Sweep,
		workflows.SweepInput{Name: workflows.SweepTrials, Policy: policy})
	if err != nil {
		return err
	}
	var res workflows.SweepResult
	if err := run.Get(ctx, &res); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	fmt.Printf("trial sweep: started %d workflows for %d due tenants in %s\n", res.Started, due, time.Since(start).Round(time.Millisecond))
	if res.Started != due {
		return fmt.Errorf("the sweep started %d workflows, want %d", res.Started, due)
	}
	for { // let the trial ends finish before the database goes
		var left int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM tenants WHERE status = 'trial' AND trial_ends_at <= now()`).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Printf("trial ends: %d tenants suspended %s after the sweep began\n", due, time.Since(start).Round(time.Millisecond))
	return benchSuspension(ctx, b)
}

// benchSuspension times an operator's suspension of a real tenant with open
// sessions until the database has none and the API refuses its admin.
func benchSuspension(ctx context.Context, b *benchStack) error {
	id, adminToken, err := b.signup(ctx, "bench-suspend-"+b.queue[6:])
	if err != nil {
		return err
	}
	name := tenantdb.Name(id)
	for range 3 {
		conn, err := b.servers.Connect(ctx, b.servers.Local(), name)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
	}
	start := time.Now()
	status, err := b.do(ctx, http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", b.operator, `{"reason":"benchmark"}`)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("suspend: status %d: %v", status, err)
	}
	apiDone := time.Since(start)
	for {
		sessions, err := b.servers.Sessions(ctx, b.servers.Local(), name)
		if err != nil {
			return err
		}
		code, err := b.do(ctx, http.MethodGet, "/v1/tenants/"+id.String()+"/audit", adminToken, "")
		if err != nil {
			return err
		}
		if sessions == 0 && code == http.StatusForbidden {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Printf("suspension effect: %s to no session and 403 (the API answered after %s)\n",
		time.Since(start).Round(time.Millisecond), apiDone.Round(time.Millisecond))
	return nil
}
