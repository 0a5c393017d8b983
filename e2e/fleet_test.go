package e2e

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/migrations"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/worker"
)

// withMigration is this release's tenant migrations and one more, as the next release would ship it.
func withMigration(t *testing.T, name, sql string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	require.NoError(t, fs.WalkDir(migrations.Tenant, "tenant", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Tenant, path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	}))
	out["tenant/"+name] = &fstest.MapFile{Data: []byte(sql)}
	return out
}

// shipped is the version of the newest tenant migration landlord ships; the
// test's own migration comes next.
var shipped = func() int64 {
	files, _ := fs.Glob(migrations.Tenant, "tenant/*.sql")
	return int64(len(files))
}()

var regionsFile = fmt.Sprintf("%05d_regions.sql", shipped+1)

// A column, an index, and a constraint some tenant's data may break.
const regionMigration = `-- +goose Up
ALTER TABLE companies ADD COLUMN region text;
CREATE INDEX companies_region ON companies (region);
ALTER TABLE companies ADD CONSTRAINT companies_name_short CHECK (char_length(name) <= 40);
-- +goose Down
ALTER TABLE companies DROP CONSTRAINT companies_name_short;
DROP INDEX companies_region;
ALTER TABLE companies DROP COLUMN region;
`

// fleetStatus waits until the rollout's status is one of want and returns it.
func (s *stack) fleetStatus(path string, want ...string) map[string]any {
	s.t.Helper()
	var last map[string]any
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, path, s.operator, nil)
		require.Equal(c, http.StatusOK, code, out)
		last = out
		require.Contains(c, want, out["status"])
	}, 60*time.Second, 100*time.Millisecond, "the rollout never became %v: %v", want, last)
	return last
}

// TestAFleetMigrationFailsOnlyTheTenantWhoseDataBreaksIt: a rollout of a
// migration one tenant's data violates migrates the others (a suspended one
// without opening it to its tenant), pauses at the failure, keeps that tenant
// on its old version intact, and finishes as failed once resumed; a second
// rollout meets the same tenant, pauses, and is aborted.
func TestAFleetMigrationFailsOnlyTheTenantWhoseDataBreaksIt(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{tenantMigrations: withMigration(t, regionsFile, regionMigration)})
	fine, _ := s.createTenant("fleet-fine", "starter")
	broken, brokenAdmin := s.createTenant("fleet-broken", "professional")
	code, out := s.call(http.MethodPost, "/v1/companies", brokenAdmin, map[string]any{"code": "long", "name": strings.Repeat("A very long company name ", 3)})
	require.Equal(t, http.StatusCreated, code, out)
	closed, _ := s.createTenant("fleet-closed", "starter")
	code, out = s.call(http.MethodPost, "/v1/tenants/"+closed.String()+"/suspend", s.operator, map[string]any{"reason": "unpaid"})
	require.Equal(t, http.StatusOK, code, out)

	code, out = s.call(http.MethodPost, "/v1/fleet/migrations", s.operator, map[string]any{"canary": 1, "parallel": 2, "max_failures": 0})
	require.Equal(t, http.StatusAccepted, code, out)
	path := "/v1/fleet/migrations/" + out["id"].(string)
	code, again := s.call(http.MethodPost, "/v1/fleet/migrations", s.operator, map[string]any{})
	assert.Equal(t, http.StatusConflict, code, "one rollout at a time: %v", again)

	paused := s.fleetStatus(path, "paused")
	assert.Equal(t, float64(shipped+1), paused["target_version"])
	assert.Equal(t, float64(3), paused["total"])
	assert.Equal(t, "failures passed the threshold", paused["paused_reason"])
	failures := paused["failures"].([]any)
	require.Len(t, failures, 1)
	assert.Equal(t, broken.String(), failures[0].(map[string]any)["tenant_id"])
	assert.Contains(t, failures[0].(map[string]any)["error"], "companies_name_short")

	code, out = s.call(http.MethodPost, path+"/resume", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code, out)
	done := s.fleetStatus(path, "failed")
	assert.Equal(t, float64(2), done["migrated"])
	assert.Equal(t, float64(1), done["failed"])
	assert.NotNil(t, done["finished_at"])

	// The suspended tenant's database was migrated and is closed to it as before.
	var allowed, canConnect bool
	name := tenantdb.Name(closed)
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT datallowconn, has_database_privilege($1::text, $1::text, 'CONNECT') FROM pg_database WHERE datname = $1::text`, name).
		Scan(&allowed, &canConnect))
	assert.False(t, allowed)
	assert.False(t, canConnect)

	version := func(id uuid.UUID) (v int64, region bool) {
		name := tenantdb.Name(id)
		if id == closed { // look inside, as landlord does, and close it again
			require.NoError(t, s.servers.OpenToLandlord(t.Context(), s.servers.Local(), name))
			defer func() { require.NoError(t, s.servers.Block(t.Context(), s.servers.Local(), name)) }()
		}
		conn := s.tenantConn(t, name)
		defer conn.Close(t.Context())
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT max(version_id) FROM schema_migrations WHERE is_applied`).Scan(&v))
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT EXISTS (SELECT FROM information_schema.columns WHERE table_name = 'companies' AND column_name = 'region')`).Scan(&region))
		return v, region
	}
	for _, id := range []uuid.UUID{fine, closed} {
		v, region := version(id)
		assert.Equal(t, shipped+1, v)
		assert.True(t, region)
		assert.Equal(t, shipped+1, *s.tenantRow(id).SchemaVersion)
	}
	v, region := version(broken)
	assert.Equal(t, shipped, v, "the tenant whose data broke the migration stays on its version")
	assert.False(t, region, "… with nothing of the failed migration applied")
	assert.Equal(t, shipped, *s.tenantRow(broken).SchemaVersion, "recorded at the version it was cloned at")

	// The next rollout meets the broken tenant first (a canary), pauses, and is aborted.
	code, out = s.call(http.MethodPost, "/v1/fleet/migrations", s.operator, map[string]any{"canary": 1})
	require.Equal(t, http.StatusAccepted, code, out)
	path = "/v1/fleet/migrations/" + out["id"].(string)
	assert.Equal(t, float64(1), s.fleetStatus(path, "paused")["failed"])
	code, out = s.call(http.MethodPost, path+"/abort", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code, out)
	s.fleetStatus(path, "aborted")
	code, _ = s.call(http.MethodPost, path+"/resume", s.operator, nil)
	assert.Equal(t, http.StatusConflict, code, "an aborted rollout stays aborted")
}

// TestAWorkerRollsItsTenantSchemaOutWhenTenantsAreBehind: a release's worker
// starts the rollout of the migrations it brings, once; with nothing behind it starts none.
func TestAWorkerRollsItsTenantSchemaOutWhenTenantsAreBehind(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{tenantMigrations: withMigration(t, regionsFile, regionMigration)})
	a, _ := s.createTenant("fleet-auto-a", "starter")
	b, _ := s.createTenant("fleet-auto-b", "trial")
	q := db.New(s.db.Pool)
	id, err := worker.RollOutTenantSchema(t.Context(), s.temporal, q, s.servers, s.taskQueue)
	require.NoError(t, err)
	require.NotEqual(t, uuid.Nil, id)
	again, err := worker.RollOutTenantSchema(t.Context(), s.temporal, q, s.servers, s.taskQueue)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, again, "one rollout at a time")
	done := s.fleetStatus("/v1/fleet/migrations/"+id.String(), "completed")
	assert.Equal(t, float64(2), done["migrated"])
	assert.Equal(t, "worker", done["started_by"])
	assert.Equal(t, shipped+1, *s.tenantRow(a).SchemaVersion)
	assert.Equal(t, shipped+1, *s.tenantRow(b).SchemaVersion)
	none, err := worker.RollOutTenantSchema(t.Context(), s.temporal, q, s.servers, s.taskQueue)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, none, "nothing behind, nothing started")
}
