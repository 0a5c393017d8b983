package tenantdb_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestNameIsAShortIdentifierFromTheUUIDOnly(t *testing.T) {
	n := tenantdb.Name(uuid.MustParse("6bce1cd9-78ee-4e18-b93c-6df97916eaa2"))
	assert.Equal(t, "tenant_6bce1cd978ee4e18b93c6df97916eaa2", n)
	assert.LessOrEqual(t, len(n), 63)
	assert.Regexp(t, regexp.MustCompile(`^tenant_[0-9a-f]{32}$`), n)
}

func admin(t *testing.T) *pgx.Conn {
	conn, err := pgx.Connect(context.Background(), testenv.AdminURL())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestTemplateIsBuiltOnceAndRebuiltWhenTheSchemaChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := testenv.RandomName("landlord_test_tpl_rebuild_")
	s, err := tenantdb.NewServers(testenv.AdminURL(), name)
	require.NoError(t, err)
	defer s.Close()
	conn := admin(t)
	t.Cleanup(func() {
		_, _ = conn.Exec(ctx, "ALTER DATABASE "+name+" IS_TEMPLATE false")
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	state := func() (oid uint32, isTemplate, allowConn bool) {
		require.NoError(t, conn.QueryRow(ctx, `SELECT oid, datistemplate, datallowconn FROM pg_database WHERE datname = $1`, name).Scan(&oid, &isTemplate, &allowConn))
		return
	}
	_, err = s.EnsureTemplate(ctx, s.Local(), nil)
	require.NoError(t, err)
	first, isTemplate, allowConn := state()
	assert.True(t, isTemplate)
	assert.False(t, allowConn, "nobody may stay connected to the template")

	_, err = s.EnsureTemplate(ctx, s.Local(), nil)
	require.NoError(t, err)
	again, _, _ := state()
	assert.Equal(t, first, again, "an up-to-date template is kept")

	// A template built from other migrations (its digest differs) is replaced.
	_, err = conn.Exec(ctx, "COMMENT ON DATABASE "+name+" IS 'landlord tenant template sha256:old'")
	require.NoError(t, err)
	_, err = s.EnsureTemplate(ctx, s.Local(), nil)
	require.NoError(t, err)
	rebuilt, isTemplate, _ := state()
	assert.NotEqual(t, first, rebuilt)
	assert.True(t, isTemplate)

	// A template a newer release built is kept: an older worker of a rolling deploy does not build it back.
	_, err = conn.Exec(ctx, "COMMENT ON DATABASE "+name+" IS 'landlord tenant template v999 sha256:newer'")
	require.NoError(t, err)
	kept, err := s.EnsureTemplate(ctx, s.Local(), nil)
	require.NoError(t, err)
	assert.Equal(t, tenantdb.Template{Version: 999, Digest: "sha256:newer"}, kept)
	keptOID, _, _ := state()
	assert.Equal(t, rebuilt, keptOID)
}

func TestProvisioningIsIdempotentAndIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	s, err := tenantdb.NewServers(testenv.AdminURL(), d.TenantTemplateDB)
	require.NoError(t, err)
	defer s.Close()
	srv := s.Local()
	a, b := tenantdb.Name(uuid.New()), tenantdb.Name(uuid.New())
	t.Cleanup(func() {
		for _, n := range []string{a, b} {
			_ = s.DropDatabase(ctx, srv, n)
			_ = s.DropRole(ctx, srv, n)
		}
	})
	seed := tenantdb.SeedData{Name: "Acme", AdminEmail: "ana@example.com", AdminName: "Ana"}
	for range 2 { // every step twice: the second run converges on the same state
		// A: made, then seeded as its role; B: made and seeded on one admin connection.
		require.NoError(t, s.CreateRole(ctx, srv, a, "pw-"+a))
		require.NoError(t, s.CreateDatabase(ctx, srv, a))
		require.NoError(t, s.Seed(ctx, srv, a, "pw-"+a, seed))
		require.NoError(t, s.CreateRole(ctx, srv, b, "pw-"+b))
		require.NoError(t, s.CreateSeeded(ctx, srv, b, seed, nil))
	}
	for _, n := range []string{a, b} {
		conn, err := pgx.ConnectConfig(ctx, tenantConfig(t, s, srv, n, "pw-"+n))
		require.NoError(t, err)
		var companies, users int
		require.NoError(t, conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM users)`).Scan(&companies, &users))
		conn.Close(ctx)
		assert.Equal(t, 1, companies, n)
		assert.Equal(t, 1, users, n)
	}

	// The role of tenant A cannot reach tenant B's database.
	cfg := tenantConfig(t, s, srv, b, "pw-"+a)
	cfg.User = a
	_, err = pgx.ConnectConfig(ctx, cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "permission denied")
	// The server keeps only a SCRAM verifier of the password.
	var stored string
	require.NoError(t, admin(t).QueryRow(ctx, `SELECT rolpassword FROM pg_authid WHERE rolname = $1`, a).Scan(&stored))
	assert.Regexp(t, `^SCRAM-SHA-256\$4096:`, stored)
	assert.NotContains(t, stored, "pw-"+a)

	// A database of the same name that another role owns is not adopted.
	stranger := tenantdb.Name(uuid.New())
	_, err = admin(t).Exec(ctx, "CREATE DATABASE "+stranger)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.DropDatabase(ctx, srv, stranger) })
	assert.ErrorContains(t, s.CreateDatabase(ctx, srv, stranger), "belongs to")

	for range 2 {
		require.NoError(t, s.DropDatabase(ctx, srv, a))
		require.NoError(t, s.DropRole(ctx, srv, a))
	}
	dbExists, roleExists, err := s.Exists(ctx, srv, a)
	require.NoError(t, err)
	assert.False(t, dbExists)
	assert.False(t, roleExists)
}

func TestMonthlyTransactionLimitStartsAgainAtTheUTCMonthBoundary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := seededTenant(t)
	pools := tenantdb.NewPools(s, 4, 2, time.Minute)
	defer pools.Close()
	pool, err := pools.Get(ctx, id, s.Local(), func() (string, error) { return "pw", nil })
	require.NoError(t, err)
	companies, err := tenantdb.ListCompanies(ctx, pool)
	require.NoError(t, err)
	company := companies[0].ID

	// 23:59 UTC on 30 November is 00:59 on 1 December in Paris: still November here.
	nov := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC).In(time.FixedZone("CET", 3600))
	for range 2 {
		_, err := tenantdb.PostTransaction(ctx, pool, company, 100, "nov", nov, 2)
		require.NoError(t, err)
	}
	_, err = tenantdb.PostTransaction(ctx, pool, company, 100, "nov", nov, 2)
	var limit *tenantdb.LimitError
	require.ErrorAs(t, err, &limit)
	assert.Equal(t, "max_transactions_per_month", limit.Limit)

	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	_, err = tenantdb.PostTransaction(ctx, pool, company, 100, "dec", dec, 2)
	require.NoError(t, err, "a new month starts from zero")
	u, err := tenantdb.Measure(ctx, pool, dec)
	require.NoError(t, err)
	assert.Equal(t, int64(1), u.TransactionsMonth)
	assert.Equal(t, int64(1), u.Companies)
	assert.Positive(t, u.StorageBytes)

	_, err = tenantdb.PostTransaction(ctx, pool, uuid.New(), 100, "nowhere", dec, 2)
	assert.ErrorIs(t, err, tenantdb.ErrNotFound)
}

func TestPoolsStayWithinTheirBound(t *testing.T) {
	s, err := tenantdb.NewServers(testenv.AdminURL(), "unused")
	require.NoError(t, err)
	defer s.Close()
	pools := tenantdb.NewPools(s, 6, 2, time.Minute)
	defer pools.Close()
	for range 10 {
		_, err := pools.Get(context.Background(), uuid.New(), s.Local(), func() (string, error) { return "x", nil })
		require.NoError(t, err)
	}
	assert.Equal(t, 3, pools.Open(), "6 connections at 2 a tenant: the least recently used pools were closed")
	assert.Equal(t, 6, pools.MaxConns())
}

func TestOlderTenantDatabasesMigrateForward(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := seededTenant(t)
	name := tenantdb.Name(id)
	// As if created before migration 00002, when the tenant's own role owned its database.
	tenantConn, err := s.Connect(ctx, s.Local(), name)
	require.NoError(t, err)
	_, err = tenantConn.Exec(ctx, `DROP TABLE gl_journal_lines, gl_journal_entries, gl_accounts; DROP FUNCTION gl_entry_balanced();
		ALTER TABLE users DROP COLUMN password_hash, DROP COLUMN password_changed_at;
		DROP FUNCTION take_transaction(date, bigint); DROP TABLE usage_counters;
		DELETE FROM schema_migrations WHERE version_id >= 2`)
	require.NoError(t, err)
	tenantConn.Close(ctx)
	_, err = admin(t).Exec(ctx, "ALTER DATABASE "+name+" OWNER TO "+name)
	require.NoError(t, err)

	for range 2 {
		require.NoError(t, s.MigrateForward(ctx, s.Local(), name))
	}
	var owner string
	require.NoError(t, admin(t).QueryRow(ctx, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1`, name).Scan(&owner))
	assert.Equal(t, tenantdb.OwnerName(name), owner, "handed over to its owner role")
	pools := tenantdb.NewPools(s, 2, 2, time.Minute)
	defer pools.Close()
	pool, err := pools.Get(ctx, id, s.Local(), func() (string, error) { return "pw", nil })
	require.NoError(t, err)
	companies, err := tenantdb.ListCompanies(ctx, pool)
	require.NoError(t, err)
	_, err = tenantdb.PostTransaction(ctx, pool, companies[0].ID, 100, "after the upgrade", time.Now(), 10)
	require.NoError(t, err, "the tenant role can use what the migration added")
}

// seededTenant provisions a seeded tenant database (role password "pw") that
// is dropped when the test ends.
func seededTenant(t *testing.T) (*tenantdb.Servers, uuid.UUID) {
	ctx := context.Background()
	d := testenv.NewDB(t)
	s, err := tenantdb.NewServers(testenv.AdminURL(), d.TenantTemplateDB)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	id := uuid.New()
	name := tenantdb.Name(id)
	t.Cleanup(func() {
		_ = s.DropDatabase(ctx, s.Local(), name)
		_ = s.DropRole(ctx, s.Local(), name)
	})
	require.NoError(t, s.CreateRole(ctx, s.Local(), name, "pw"))
	require.NoError(t, s.CreateDatabase(ctx, s.Local(), name))
	require.NoError(t, s.Seed(ctx, s.Local(), name, "pw", tenantdb.SeedData{Name: "Acme", AdminEmail: "ana@example.com", AdminName: "Ana"}))
	return s, id
}

// TestTheTenantRoleCannotUndoItsSuspensionNorLiftItsLimits logs in as a
// tenant's own role and tries what an attacker holding its credentials would.
func TestTheTenantRoleCannotUndoItsSuspensionNorLiftItsLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, id := seededTenant(t)
	name := tenantdb.Name(id)
	conn, err := pgx.ConnectConfig(ctx, tenantConfig(t, s, s.Local(), name, "pw"))
	require.NoError(t, err)
	defer conn.Close(ctx)

	refused := map[string]string{
		"reopen its database":       "ALTER DATABASE " + name + " ALLOW_CONNECTIONS true",
		"rename its database":       "ALTER DATABASE " + name + " RENAME TO stolen",
		"make a schema":             "CREATE SCHEMA mine",
		"load an extension":         "CREATE EXTENSION IF NOT EXISTS pgcrypto",
		"become the database owner": "SET ROLE pg_database_owner",
		"drop a table":              "DROP TABLE transactions",
		"change a table":            "ALTER TABLE companies ADD COLUMN x int",
		"reset its metering":        "UPDATE usage_counters SET transactions = 0",
		"forget its metering":       "DELETE FROM usage_counters",
		"write its metering":        "INSERT INTO usage_counters (month) VALUES ('2099-01-01')",
		"make a table":              "CREATE TABLE mine (x int)",
	}
	for what, stmt := range refused {
		_, err := conn.Exec(ctx, stmt)
		assert.Error(t, err, "the tenant role may not %s", what)
	}
	// GRANT without the right is only a warning: what counts is that nothing changed.
	_, _ = conn.Exec(ctx, "GRANT CONNECT ON DATABASE "+name+" TO PUBLIC")
	var publicConnect bool
	require.NoError(t, admin(t).QueryRow(ctx, `SELECT has_database_privilege('public', $1, 'CONNECT')`, name).Scan(&publicConnect))
	assert.False(t, publicConnect, "the tenant role cannot grant CONNECT")

	// Other databases of the server are closed to it: the platform's and the maintenance ones.
	for _, other := range []string{testenv.NewDB(t).Name, "postgres", "template1"} {
		cfg := tenantConfig(t, s, s.Local(), name, "pw")
		cfg.Database = other
		_, err = pgx.ConnectConfig(ctx, cfg)
		assert.Error(t, err, "the tenant role may not connect to %s", other)
	}

	// What the ERP needs still works, and the metered path still counts.
	pools := tenantdb.NewPools(s, 2, 2, time.Minute)
	defer pools.Close()
	pool, err := pools.Get(ctx, id, s.Local(), func() (string, error) { return "pw", nil })
	require.NoError(t, err)
	companies, err := tenantdb.ListCompanies(ctx, pool)
	require.NoError(t, err)
	_, err = tenantdb.PostTransaction(ctx, pool, companies[0].ID, 100, "metered", time.Now(), 1)
	require.NoError(t, err)
	_, err = tenantdb.PostTransaction(ctx, pool, companies[0].ID, 100, "over", time.Now(), 1)
	var limit *tenantdb.LimitError
	assert.ErrorAs(t, err, &limit)
}

// tenantConfig is the connection of a tenant's role to its database.
func tenantConfig(t *testing.T, s *tenantdb.Servers, srv tenantdb.Server, name, password string) *pgx.ConnConfig {
	t.Helper()
	cfg, err := s.TenantConnConfig(t.Context(), srv, name, password)
	require.NoError(t, err)
	return cfg
}
