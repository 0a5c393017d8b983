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
	real := fs.Int("real", 20, "tenants signed up through the API for the usage sweep")
	written := fs.Int("written", 5, "of them, written to between the two usage sweeps")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *real < 1 || *written < 0 || *written > *real {
		return usageError("-real must be at least 1 and -written between 0 and -real")
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
	// Every due trial's end is started once by the sweep's first step. Its
	// last step starts again the trial end of a trial still a trial well after
	// its end; one whose first run finished between that step's page and its
	// start is started again and ends at once (it finds the tenant suspended).
	if res.Started < due {
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
	// The usage sweep comes last: it places the bulk tenants on the local
	// server, which then has no room for another.
	if err := benchSuspension(ctx, b); err != nil {
		return err
	}
	return benchUsageSweep(ctx, b, *real, *written)
}

// benchUsageSweep runs the usage sweep over the fleet twice: the bulk tenants
// are placed on the local server (their databases do not exist, so each page
// costs the sweep its queries and nothing more), beside real tenants signed
// up through the API. The first sweep of the month opens every real database;
// between the two, written of them are written to, and the second opens just
// those. The floor is what the sweep did before, opening every live tenant's
// database: timed here on the real ones, per database.
func benchUsageSweep(ctx context.Context, b *benchStack, real, written int) error {
	var names []string
	for i := range real {
		id, _, err := b.signup(ctx, fmt.Sprintf("bench-usage-%s-%d", b.queue[6:], i))
		if err != nil {
			return err
		}
		names = append(names, tenantdb.Name(id))
	}
	if _, err := b.pool.Exec(ctx, `UPDATE tenants SET database_server_id = (SELECT id FROM database_servers WHERE name = 'local'),
		database_name = 'tenant_' || replace(id::text, '-', ''), database_role = 'tenant_' || replace(id::text, '-', '')
		WHERE tenant_code LIKE 'bulk\_%'`); err != nil {
		return fmt.Errorf("place the bulk tenants: %w", err)
	}
	sweep := func() (workflows.SweepResult, time.Duration, error) {
		start := time.Now()
		run, err := b.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-usage-" + uuid.NewString()[:8], TaskQueue: b.queue},
			workflows.Sweep, workflows.SweepInput{Name: workflows.SweepUsage})
		var res workflows.SweepResult
		if err == nil {
			err = run.Get(ctx, &res)
		}
		return res, time.Since(start), err
	}
	first, firstTook, err := sweep()
	if err != nil {
		return fmt.Errorf("usage sweep: %w", err)
	}
	for _, name := range names[:written] {
		conn, err := b.servers.Connect(ctx, b.servers.Local(), name)
		if err != nil {
			return err
		}
		_, err = conn.Exec(ctx, `INSERT INTO companies (code, name) VALUES ('bench', 'Bench')`)
		conn.Close(ctx) // its counts are published as the session ends
		if err != nil {
			return err
		}
	}
	second, secondTook, err := sweep()
	if err != nil {
		return fmt.Errorf("usage sweep: %w", err)
	}
	start := time.Now()
	for _, name := range names {
		if _, err := b.servers.MeasureAsAdmin(ctx, b.servers.Local(), name, time.Now()); err != nil {
			return err
		}
	}
	each := time.Since(start) / time.Duration(len(names))
	fmt.Printf("usage sweep, first of the month: %d tenants paged, %d measured, %d databases opened, in %s\n",
		first.Seen, first.Started, first.Opened, firstTook.Round(time.Millisecond))
	fmt.Printf("usage sweep, %d of %d written to since: %d tenants paged, %d measured, %d databases opened, in %s\n",
		written, real, second.Seen, second.Started, second.Opened, secondTook.Round(time.Millisecond))
	fmt.Printf("floor, as before: opening and counting a tenant database takes %s, so %d live tenants opened every sweep take %s\n",
		each.Round(100*time.Microsecond), second.Seen, (each * time.Duration(second.Seen)).Round(time.Second))
	return nil
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
