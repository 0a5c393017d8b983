package db_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
		assert.Equal(t, 15, tables())
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

	require.NoError(t, db.New(d.AppPool).AuditInsert(ctx, db.AuditInsertParams{Actor: "app", Action: "X", Details: []byte(`{}`)}))
	for _, stmt := range []string{`UPDATE audit_log SET action = 'Y'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`,
		`DROP TABLE tenants`, `ALTER TABLE tenants ADD COLUMN x int`, `DELETE FROM goose_db_version`} {
		_, err := d.AppPool.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr, stmt)
		assert.Equal(t, "42501", pgErr.Code, "%s: insufficient privilege, got %v", stmt, err)
	}
	var owns int
	require.NoError(t, d.AppPool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tableowner = 'landlord_app'`).Scan(&owns))
	assert.Zero(t, owns, "the runtime role owns no table")
}
