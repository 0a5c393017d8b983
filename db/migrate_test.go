package db_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPlatformMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.URLFor(testenv.RandomName("landlord_test_mig_"))
	require.NoError(t, db.EnsureDatabase(ctx, url))
	require.NoError(t, db.EnsureDatabase(ctx, url), "a second EnsureDatabase is a no-op")
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, testenv.AdminURL())
		if err == nil {
			cfg, _ := pgx.ParseConfig(url)
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+cfg.Database+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	m, err := db.NewPlatformMigrator(url, nil)
	require.NoError(t, err)
	defer m.Close()
	pool, err := db.Open(ctx, url)
	require.NoError(t, err)
	defer pool.Close()

	tables := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`).Scan(&n))
		return n
	}
	for round := range 2 {
		require.NoError(t, m.Up(ctx), "up, round %d", round)
		plans, err := db.New(pool).PlanList(ctx)
		require.NoError(t, err)
		codes := []string{}
		for _, p := range plans {
			codes = append(codes, p.PlanCode)
		}
		assert.Equal(t, []string{"trial", "starter", "professional", "enterprise", "unlimited"}, codes)
		assert.Equal(t, 26, tables())
		var publicConnect, appConnect bool
		require.NoError(t, pool.QueryRow(ctx, `SELECT has_database_privilege('public', current_database(), 'CONNECT'),
			has_database_privilege('landlord_app', current_database(), 'CONNECT')`).Scan(&publicConnect, &appConnect))
		assert.False(t, publicConnect, "no role but landlord's own connects to the platform database")
		assert.True(t, appConnect)
		require.NoError(t, m.DownAll(ctx), "down, round %d", round)
		assert.Equal(t, 0, tables())
	}
}

func TestSeededPlansMatchTheSeedDocument(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	type row struct {
		monthly, annual         int64
		companies, users, trans int32
		trialDays               int32
	}
	want := map[string]row{
		"trial":        {0, 0, 1, 3, 100, 14},
		"starter":      {4900, 49000, 1, 5, 1000, 0},
		"professional": {19900, 199000, 3, 20, 10000, 0},
		"enterprise":   {59900, 599000, 10, 100, 100000, 0},
		"unlimited":    {199900, 1999000, 999, 999, 999999, 0},
	}
	plans, err := db.New(d.Pool).PlanList(t.Context())
	require.NoError(t, err)
	require.Len(t, plans, len(want))
	for _, p := range plans {
		got := row{p.MonthlyPriceCents, p.AnnualPriceCents, p.MaxCompanies, p.MaxUsersPerCompany, p.MaxTransactionsPerMonth, p.TrialDays}
		assert.Equal(t, want[p.PlanCode], got, p.PlanCode)
		assert.Positive(t, p.ApiRateLimitPerHour, p.PlanCode)
		assert.Positive(t, p.MaxStorageGb, p.PlanCode)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ctx := t.Context()
	require.NoError(t, db.New(d.Pool).AuditInsert(ctx, db.AuditInsertParams{Actor: "test", Action: "X", Details: []byte(`{}`)}))
	for _, stmt := range []string{`UPDATE audit_log SET action = 'Y'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		_, err := d.Pool.Exec(ctx, stmt)
		assert.ErrorContains(t, err, "append-only", stmt)
	}
	var n int
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'X'`).Scan(&n))
	assert.Equal(t, 1, n)
}

func TestRuntimeRoleIsLeastPrivileged(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ctx := t.Context()
	require.NoError(t, db.CheckRuntimeRole(ctx, d.AppPool))
	assert.ErrorContains(t, db.CheckRuntimeRole(ctx, d.Pool), "refusing to run", "the owner used here is a superuser")

	require.NoError(t, db.New(d.OperatorPool).AuditInsert(ctx, db.AuditInsertParams{Actor: "app", Action: "X", Details: []byte(`{}`)}))
	for _, stmt := range []string{`UPDATE audit_log SET action = 'Y'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`,
		`DROP TABLE tenants`, `ALTER TABLE tenants ADD COLUMN x int`, `DELETE FROM goose_db_version`} {
		_, err := d.OperatorPool.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr, stmt)
		assert.Equal(t, "42501", pgErr.Code, "%s: insufficient privilege, got %v", stmt, err)
	}
	var owns int
	require.NoError(t, d.AppPool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tableowner = 'landlord_app'`).Scan(&owns))
	assert.Zero(t, owns, "the runtime role owns no table")
}

func TestRowLevelSecurityScopesTenantRows(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ctx := t.Context()
	tenants := make([]uuid.UUID, 2)
	for i := range tenants {
		tenants[i] = uuid.New()
		_, err := d.Pool.Exec(ctx, `INSERT INTO tenants (id, tenant_code, tenant_name, subdomain, plan_code, max_companies,
			max_users_per_company, max_transactions_per_month, max_storage_gb, api_rate_limit_per_hour, admin_email, admin_name, billing_email)
			VALUES ($1, $2, 'T', $3, 'trial', 1, 1, 1, 1, 1, 'a@example.com', 'A', 'a@example.com')`,
			tenants[i], "rls_"+strconv.Itoa(i), "rls-"+strconv.Itoa(i))
		require.NoError(t, err)
		for _, table := range []string{"audit_log", "notifications", "alerts"} {
			var err error
			switch table {
			case "audit_log":
				_, err = d.Pool.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor, action) VALUES ($1, 'x', 'X')`, tenants[i])
			case "notifications":
				_, err = d.Pool.Exec(ctx, `INSERT INTO notifications (tenant_id, channel, template, recipient, body, dedupe_key)
					VALUES ($1, 'email', 't', 'a@example.com', 'b', $2)`, tenants[i], uuid.NewString())
			case "alerts":
				_, err = d.Pool.Exec(ctx, `INSERT INTO alerts (tenant_id, rule, period) VALUES ($1, 'r', 'p')`, tenants[i])
			}
			require.NoError(t, err)
		}
	}
	// One connection, so the scoped transaction's connection is the one reused after it.
	cfg, err := pgxpool.ParseConfig(d.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 1
	app, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer app.Close()
	count := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) (audit, notes, alerts int) {
		require.NoError(t, q.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM notifications),
			(SELECT count(*) FROM alerts)`).Scan(&audit, &notes, &alerts))
		return
	}

	for _, id := range tenants {
		require.NoError(t, db.InTenantScope(ctx, app, id, func(q *db.Queries) error {
			rows, err := q.AuditListByTenant(ctx, db.AuditListByTenantParams{TenantID: &tenants[0], RowLimit: 10})
			require.NoError(t, err)
			if id == tenants[0] {
				assert.Len(t, rows, 1)
			} else {
				assert.Empty(t, rows, "tenant B's transaction sees nothing of tenant A, even asking for it")
			}
			return nil
		}))
		a, n, al := count(app)
		assert.Equal(t, []int{0, 0, 0}, []int{a, n, al}, "the reused connection carries no scope out of the transaction")
	}
	// The tenant path cannot widen itself with the operator's setting, nor write another tenant's rows.
	require.NoError(t, db.InTenantScope(ctx, app, tenants[0], func(q *db.Queries) error {
		_, err := q.AuditListByTenant(ctx, db.AuditListByTenantParams{TenantID: &tenants[0], RowLimit: 1})
		return err
	}))
	err = pgx.BeginFunc(ctx, app, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor, action) SELECT $1, 'x', 'FORGED'
			FROM (SELECT set_config('role', 'landlord_tenant', true), set_config('app.tenant_id', $2, true)) s`, tenants[1], tenants[0].String())
		return err
	})
	assert.ErrorContains(t, err, "row-level security", "a tenant writes no other tenant's audit row")
	require.NoError(t, pgx.BeginFunc(ctx, app, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "SELECT set_config('role', 'landlord_tenant', true), set_config('app.tenant_id', $1, true)", tenants[0].String())
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "SELECT set_config('app.scope', 'operator', true)")
		require.NoError(t, err)
		var audit, notes, alerts, others int
		require.NoError(t, tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM notifications),
			(SELECT count(*) FROM alerts), (SELECT count(*) FROM tenants WHERE id <> $1)`, tenants[0]).Scan(&audit, &notes, &alerts, &others))
		assert.Equal(t, []int{1, 1, 1, 0}, []int{audit, notes, alerts, others}, "app.scope = operator widens nothing on the tenant path")
		return nil
	}))
	a, n, al := count(d.OperatorPool)
	assert.Equal(t, []int{2, 2, 2}, []int{a, n, al}, "the operator path sees every tenant")
	_, err = app.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor, action) VALUES ($1, 'x', 'X')`, tenants[0])
	assert.ErrorContains(t, err, "row-level security", "no scope, no writing either")
}

// TestEveryTenantTableHasRowLevelSecurity finds the tables holding a tenant's
// rows (a tenant_id or invoice_id column, and tenants itself): each must force
// row-level security with a policy for the tenant path and one for the
// operator path. A table added without them fails here.
func TestEveryTenantTableHasRowLevelSecurity(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	rows, err := d.Pool.Query(t.Context(), `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       EXISTS (SELECT FROM pg_policies p WHERE p.tablename = c.relname AND 'landlord_tenant' = ANY (p.roles)),
		       EXISTS (SELECT FROM pg_policies p WHERE p.tablename = c.relname AND 'landlord_app' = ANY (p.roles))
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r'
		  AND (c.relname = 'tenants' OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
		       AND a.attname IN ('tenant_id', 'invoice_id') AND NOT a.attisdropped))
		ORDER BY 1`)
	require.NoError(t, err)
	var seen []string
	for rows.Next() {
		var name string
		var enabled, forced, tenantPolicy, operatorPolicy bool
		require.NoError(t, rows.Scan(&name, &enabled, &forced, &tenantPolicy, &operatorPolicy))
		seen = append(seen, name)
		assert.True(t, enabled && forced, "%s: row-level security is not enabled and forced", name)
		assert.True(t, tenantPolicy, "%s: no policy for the tenant path (landlord_tenant)", name)
		assert.True(t, operatorPolicy, "%s: no policy for the operator path (landlord_app)", name)
	}
	require.NoError(t, rows.Err())
	assert.Subset(t, seen, []string{"tenants", "api_tokens", "payments", "invoice_lines", "tenant_status_history", "invoices"})
}
