// Package testenv gives tests real services: a uniquely named platform
// database cloned from a migrated template, a tenant template of their own, and
// a Temporal dev server. Everything a test creates is dropped when it ends.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// AdminURL is the superuser connection tests use: TEST_DATABASE_ADMIN_URL, or
// the local server with trust auth.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_ADMIN_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// URLFor is AdminURL pointed at database name.
func URLFor(name string) string {
	cfg, err := pgx.ParseConfig(AdminURL())
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// AppURLFor is database name as the runtime role landlord_app (created by the migrations).
func AppURLFor(name string) string {
	cfg, err := pgx.ParseConfig(AdminURL())
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://landlord_app@%s:%d/%s?sslmode=disable", cfg.Host, cfg.Port, name)
}

// RandomName is prefix followed by 12 random hex digits.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

var (
	setupOnce    sync.Once
	setupErr     error
	platformTmpl string
	tenantTmpl   string
	cleanups     []func()
	cleanupMu    sync.Mutex
)

func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

// Main runs the tests of a package, then drops the templates and stops the
// servers that the package started.
func Main(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

func adminExec(ctx context.Context, stmts ...string) error {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// setup builds, once per test binary, a migrated platform template and a tenant template.
func setup() error {
	setupOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		platformTmpl = RandomName("landlord_test_tpl_")
		if setupErr = adminExec(ctx, "CREATE DATABASE "+platformTmpl); setupErr != nil {
			return
		}
		atExit(func() { dropDatabase(platformTmpl) })
		if setupErr = db.MigratePlatform(ctx, URLFor(platformTmpl), nil); setupErr != nil {
			return
		}
		tenantTmpl = RandomName("landlord_test_tenant_tpl_")
		servers, err := tenantdb.NewServers(AdminURL(), tenantTmpl)
		if err != nil {
			setupErr = err
			return
		}
		defer servers.Close()
		atExit(func() {
			_ = adminExec(context.Background(), "ALTER DATABASE "+tenantTmpl+" IS_TEMPLATE false")
			dropDatabase(tenantTmpl)
		})
		_, setupErr = servers.EnsureTemplate(ctx, servers.Local(), nil)
	})
	return setupErr
}

func dropDatabase(name string) {
	_ = adminExec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// DB is a test's own platform database.
type DB struct {
	Name             string
	URL              string
	Pool             *pgxpool.Pool // as the owner: fixtures and checks
	AppURL           string
	AppPool          *pgxpool.Pool // as landlord_app: what the API uses (reads scoped per request)
	OperatorPool     *pgxpool.Pool // as landlord_app on the operator path: what workers use
	TenantTemplateDB string        // the tenant template built for this test binary
}

// NewDB clones the migrated platform template into a database of the test's
// own, registers the local server in it, and drops it (with every tenant
// database and role it records) when the test ends.
func NewDB(t testing.TB) *DB {
	t.Helper()
	if err := setup(); err != nil {
		t.Fatalf("test database setup: %v", err)
	}
	ctx := context.Background()
	name := RandomName("landlord_test_")
	if err := adminExec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+platformTmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	// A clone does not inherit its template's privileges: close it as migration 00011 closes the real one.
	if err := adminExec(ctx, "REVOKE CONNECT, TEMPORARY ON DATABASE "+name+" FROM PUBLIC", "GRANT CONNECT ON DATABASE "+name+" TO landlord_app"); err != nil {
		t.Fatalf("close test database: %v", err)
	}
	pool, err := db.Open(ctx, URLFor(name))
	if err != nil {
		t.Fatal(err)
	}
	appPool, err := db.Open(ctx, AppURLFor(name))
	if err != nil {
		t.Fatal(err)
	}
	operatorPool, err := db.OpenOperator(ctx, AppURLFor(name))
	if err != nil {
		t.Fatal(err)
	}
	d := &DB{Name: name, URL: URLFor(name), Pool: pool, AppURL: AppURLFor(name), AppPool: appPool, OperatorPool: operatorPool,
		TenantTemplateDB: tenantTmpl}
	servers, err := tenantdb.NewServers(AdminURL(), tenantTmpl)
	if err != nil {
		t.Fatal(err)
	}
	local := servers.Local()
	if _, err := db.New(pool).DatabaseServerUpsert(ctx, db.DatabaseServerUpsertParams{
		Name: "local", Host: local.Host, Port: int32(local.Port), Kind: "shared", MaxTenants: 500,
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer servers.Close()
		rows, _ := pool.Query(ctx, `SELECT id FROM tenants`)
		ids, _ := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		rows, _ = pool.Query(ctx, `SELECT id FROM warm_databases WHERE claimed_by IS NULL`)
		warm, _ := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		appPool.Close()
		operatorPool.Close()
		pool.Close()
		for _, id := range ids {
			_ = servers.Drop(ctx, local, tenantdb.Name(id))
		}
		for _, id := range warm {
			_ = servers.Drop(ctx, local, tenantdb.WarmName(id))
		}
		dropDatabase(name)
	})
	return d
}

// OwnTenantTemplate names a tenant template of the test's own, built by the
// first onboarding or refill that needs it and dropped when the test ends:
// for tests that change what the template is.
func OwnTenantTemplate(t testing.TB) string {
	name := RandomName("landlord_test_tenant_tpl_")
	t.Cleanup(func() {
		_ = adminExec(context.Background(), "ALTER DATABASE "+name+" IS_TEMPLATE false")
		dropDatabase(name)
	})
	return name
}

// RepoRoot is the module's root folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// SecretKey is the LANDLORD_SECRET_KEY of test stacks: the recorded workflow
// histories in workflows/testdata are sealed under it.
const SecretKey = "e2e-secret-key-that-is-long-enough-0123456789"
