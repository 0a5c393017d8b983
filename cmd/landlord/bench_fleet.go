package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/migrations"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// fleetBenchMigration is the migration the fleet benchmark rolls out: a
// column and an index, as the issue asks of the benchmark.
const fleetBenchMigration = `-- +goose Up
ALTER TABLE companies ADD COLUMN bench_region text;
CREATE INDEX companies_bench_region ON companies (bench_region);
-- +goose Down
DROP INDEX companies_bench_region;
ALTER TABLE companies DROP COLUMN bench_region;
`

// fleetBenchFloor is the same work, done to the same databases by psql.
const fleetBenchFloor = `ALTER TABLE companies ADD COLUMN bench_floor text; CREATE INDEX companies_bench_floor ON companies (bench_floor);`

// benchFleet is "bench fleet [-n N] [-p P]": N tenant databases made from the
// template, one more tenant migration rolled out to all of them by a fleet
// migration at P per server; then the floor, psql applying the same two
// statements to the same databases with xargs -P P.
func benchFleet(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlags("bench fleet")
	n := fs.Int("n", 1000, "tenant databases")
	p := fs.Int("p", 4, "databases migrated at once (the rollout's parallel, xargs -P)")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		return fmt.Errorf("the floor needs psql: %w", err)
	}
	b, err := startBenchStack(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()
	next, err := withBenchMigration()
	if err != nil {
		return err
	}

	// N tenants, each with its role and a database cloned from the template.
	start := time.Now()
	var server uuid.UUID
	if err := b.pool.QueryRow(ctx, `SELECT id FROM database_servers WHERE name = 'local'`).Scan(&server); err != nil {
		return err
	}
	version, err := db.TenantSchemaVersion(migrations.Tenant)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, *n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range ids {
		ids[i] = uuid.New()
		id := ids[i]
		g.Go(func() error {
			name := tenantdb.Name(id)
			if err := b.servers.CreateRole(gctx, b.servers.Local(), name, uuid.NewString()); err != nil {
				return err
			}
			if err := b.servers.CreateDatabase(gctx, b.servers.Local(), name); err != nil {
				return err
			}
			_, err := b.pool.Exec(gctx, `INSERT INTO tenants (id, tenant_code, tenant_name, subdomain, status, plan_code, max_companies,
				max_users_per_company, max_transactions_per_month, max_storage_gb, api_rate_limit_per_hour, admin_email, admin_name,
				billing_email, database_server_id, database_name, database_role, schema_version)
				VALUES ($1, $2, $2, $6, 'active', 'starter', 1, 5, 1000, 10, 1000, 'a@bench.example.com', 'A', 'a@bench.example.com', $3, $4, $4, $5)`,
				id, "fleet_"+strings.ReplaceAll(id.String(), "-", "")[:12], server, name, version, "fleet-"+id.String()[:8])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("make tenant databases: %w", err)
	}
	fmt.Printf("fleet benchmark: %d tenant databases made in %s\n", *n, time.Since(start).Round(time.Millisecond))

	// The rollout: the worker of this stack knows one more migration.
	b.servers.UseMigrations(next)
	start = time.Now()
	q := db.New(b.pool)
	id, err := workflows.StartFleetMigration(ctx, b.tc, q, b.queue, workflows.FleetOptions{Canary: 3, Parallel: *p, MaxFailures: 0}, "bench")
	if err != nil {
		return err
	}
	for {
		m, err := q.FleetMigrationGet(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != "running" {
			if m.Status != "completed" {
				return fmt.Errorf("the rollout ended %s", m.Status)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	fleet := time.Since(start)
	var p50, p99 float64
	if err := b.pool.QueryRow(ctx, `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms)
		FROM fleet_migration_tenants WHERE fleet_id = $1 AND status = 'migrated'`, id).Scan(&p50, &p99); err != nil {
		return err
	}

	// The floor: psql, the same statements, the same databases, the same parallelism.
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = tenantdb.Name(id)
	}
	admin := b.servers.Local()
	cmd := exec.CommandContext(ctx, "xargs", "-P", fmt.Sprint(*p), "-I{}", psql, "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", admin.Host, "-p", fmt.Sprint(admin.Port), "-d", "{}", "-c", fleetBenchFloor)
	cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), benchPsqlEnv(cfg)...)
	start = time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("psql floor: %w", err)
	}
	floor := time.Since(start)
	fmt.Printf("fleet migration: %d databases in %s at %d per server (per database p50 %.0f ms, p99 %.0f ms)\n",
		*n, fleet.Round(time.Millisecond), *p, p50, p99)
	fmt.Printf("floor (xargs -P %d psql): %s; the rollout takes %.2fx the floor\n", *p, floor.Round(time.Millisecond), fleet.Seconds()/floor.Seconds())
	return nil
}

// withBenchMigration is this release's tenant migrations and the benchmark's.
func withBenchMigration() (fs.FS, error) {
	out := fstest.MapFS{}
	err := fs.WalkDir(migrations.Tenant, "tenant", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Tenant, path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	out["tenant/99990_bench_region.sql"] = &fstest.MapFile{Data: []byte(fleetBenchMigration)}
	return out, err
}

// benchPsqlEnv logs psql in as TENANT_DB_ADMIN_URL's user.
func benchPsqlEnv(cfg config.Config) []string {
	c, err := pgx.ParseConfig(cfg.TenantDBAdminURL)
	if err != nil {
		return nil
	}
	env := []string{"PGUSER=" + c.User, "PGSSLMODE=disable"}
	if c.Password != "" {
		env = append(env, "PGPASSWORD="+c.Password)
	}
	return env
}
