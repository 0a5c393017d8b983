package e2e

import (
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/workflows"
)

// TestATenantMovesToAnotherServerWithEveryRow: a tenant with companies, users
// and postings moves from the local server to a second PostgreSQL (over
// verified TLS): every table's rows and checksum are equal there, the
// tenant's admin is served from it, the write downtime is recorded, and the
// old copy is dropped after the delay. A move to a server that is not active
// is refused before anything is touched.
func TestATenantMovesToAnotherServerWithEveryRow(t *testing.T) {
	t.Parallel()
	second := testenv.StartTLSPostgres(t)
	s := newStack(t, stackOptions{tenantDBRoots: second.Roots, moveDropAfter: 2 * time.Second})
	id, admin := s.createTenant("mover", "professional")
	code, out := s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": "branch", "name": "Branch"})
	require.Equal(t, http.StatusCreated, code, out)
	branch := out["id"].(string)
	for _, u := range []string{"ada", "bob"} {
		code, out = s.call(http.MethodPost, "/v1/companies/"+branch+"/users", admin, map[string]any{"email": u + "@mover.example.com", "name": u})
		require.Equal(t, http.StatusCreated, code, out)
	}
	for range 3 {
		code, out = s.call(http.MethodPost, "/v1/transactions", admin, map[string]any{"company_id": branch, "amount_cents": 1250, "memo": "moved"})
		require.Equal(t, http.StatusCreated, code, out)
	}
	name := tenantdb.Name(id)
	before, err := s.servers.Fingerprint(t.Context(), s.servers.Local(), name)
	require.NoError(t, err)

	s.registerServer("second", second)
	code, out = s.call(http.MethodPost, "/v1/database-servers", s.operator, map[string]any{"name": "nowhere", "host": "localhost",
		"port": 1, "tls": "verify-full"})
	require.Equal(t, http.StatusCreated, code, out)

	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "nowhere", "reason": "rebalance"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, "a pending server takes nothing: %v", out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "second"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, "an operator says why: %v", out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "second", "reason": "rebalance"})
	require.Equal(t, http.StatusAccepted, code, out)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, "second", s.databaseServerOf(id))
	}, 60*time.Second, 100*time.Millisecond, "the tenant never moved")
	moved := s.auditActions(id)["TENANT_MOVED"]
	require.NotNil(t, moved)
	assert.Equal(t, "local", moved["from"])
	assert.Equal(t, float64(15), moved["rows"], "2 companies, 3 users (admin, ada, bob), 3 postings, the month's counter and the 6 accounts of the chart")
	t.Logf("write downtime: %v ms", moved["write_downtime_ms"])

	srv := s.serverAt(t, "second")
	after, err := s.servers.Fingerprint(t.Context(), srv, name)
	require.NoError(t, err)
	assert.Equal(t, before, after, "every table's rows and checksum")
	code, out = s.call(http.MethodGet, "/v1/companies", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["companies"], 2, "the admin is served from the new server")
	code, out = s.call(http.MethodPost, "/v1/transactions", admin, map[string]any{"company_id": branch, "amount_cents": 1, "memo": "after"})
	require.Equal(t, http.StatusCreated, code, out)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		database, role, err := s.servers.Exists(t.Context(), s.servers.Local(), name)
		require.NoError(c, err)
		assert.False(c, database, "the old copy is dropped after the delay")
		assert.False(c, role)
	}, 30*time.Second, 200*time.Millisecond)

	// Draining the local server moves everyone left there, and it takes no one new.
	a, adminA := s.createTenant("drain-a", "starter")
	b, _ := s.createTenant("drain-b", "trial")
	require.Equal(t, "local", s.databaseServerOf(a))
	require.Equal(t, "local", s.databaseServerOf(b))
	var local string
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT id FROM database_servers WHERE name = 'local'`).Scan(&local))
	code, out = s.call(http.MethodPost, "/v1/database-servers/"+local+"/drain", s.operator, map[string]any{"reason": "hardware retirement"})
	require.Equal(t, http.StatusAccepted, code, out)
	assert.Equal(t, "draining", out["server"].(map[string]any)["status"])
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, "second", s.databaseServerOf(a))
		assert.Equal(c, "second", s.databaseServerOf(b))
	}, 60*time.Second, 200*time.Millisecond, "the drain never moved them")
	code, out = s.call(http.MethodGet, "/v1/companies", adminA, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["companies"], 1)
	c, _ := s.createTenant("after-drain", "starter")
	assert.Equal(t, "second", s.databaseServerOf(c), "a draining server takes no new tenant")
}

// serverAt is where the database server of that name listens.
func (s *stack) serverAt(t testing.TB, name string) tenantdb.Server {
	var host string
	var port int
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT host, port FROM database_servers WHERE name = $1`, name).Scan(&host, &port))
	return tenantdb.Server{Host: host, Port: port}
}

// TestAMoveFromAPublishingServerFollowsItByLogicalReplication: from a source
// with wal_level = logical the copy follows the source while the tenant
// works, and the tenant is shut out only for the catch-up; the copy is
// verified equal and the replication leaves nothing behind (no subscription,
// publication or slot).
func TestAMoveFromAPublishingServerFollowsItByLogicalReplication(t *testing.T) {
	t.Parallel()
	publishing := testenv.StartTLSPostgres(t, "wal_level=logical")
	other := testenv.StartTLSPostgres(t)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(publishing.CAPEM)
	roots.AppendCertsFromPEM(other.CAPEM)
	s := newStack(t, stackOptions{tenantDBRoots: roots, moveDropAfter: time.Hour})
	id, admin := s.createTenant("logical", "professional")
	code, out := s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": "branch", "name": "Branch"})
	require.Equal(t, http.StatusCreated, code, out)
	branch := out["id"].(string)
	move := func(to string) map[string]any {
		code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": to, "reason": "rebalance"})
		require.Equal(t, http.StatusAccepted, code, out)
		require.EventuallyWithT(t, func(c *assert.CollectT) { require.Equal(c, to, s.databaseServerOf(id)) }, 60*time.Second, 100*time.Millisecond)
		var details map[string]any
		require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'TENANT_MOVED' ORDER BY id DESC LIMIT 1`, id).Scan(&details))
		return details
	}
	s.registerServer("publishing", publishing)
	assert.Equal(t, "copy", move("publishing")["method"], "the local server does not publish")
	for range 5 {
		code, out = s.call(http.MethodPost, "/v1/transactions", admin, map[string]any{"company_id": branch, "amount_cents": 100, "memo": "on publishing"})
		require.Equal(t, http.StatusCreated, code, out)
	}
	name := tenantdb.Name(id)
	source := s.serverAt(t, "publishing")
	before, err := s.servers.Fingerprint(t.Context(), source, name)
	require.NoError(t, err)

	s.registerServer("other", other)
	moved := move("other")
	assert.Equal(t, "logical_replication", moved["method"])
	t.Logf("write downtime by logical replication: %v ms", moved["write_downtime_ms"])
	after, err := s.servers.Fingerprint(t.Context(), s.serverAt(t, "other"), name)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	code, out = s.call(http.MethodGet, "/v1/companies", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["companies"], 2)

	// Nothing of the replication is left at either end.
	count := func(srv tenantdb.Server, q string) (n int) {
		conn, err := s.servers.Connect(t.Context(), srv, name)
		require.NoError(t, err)
		defer conn.Close(t.Context())
		require.NoError(t, conn.QueryRow(t.Context(), q).Scan(&n))
		return n
	}
	assert.Zero(t, count(s.serverAt(t, "other"), `SELECT count(*) FROM pg_subscription`))
	assert.Zero(t, count(source, `SELECT count(*) FROM pg_publication`))
	assert.Zero(t, count(source, `SELECT count(*) FROM pg_replication_slots`))
}

// TestAMoveThatFailsBeforeTheSwitchLeavesTheTenantWhereItWas: the copy step
// fails for good; the copy is dropped, the source is reopened to the tenant
// and nothing says it moved.
func TestAMoveThatFailsBeforeTheSwitchLeavesTheTenantWhereItWas(t *testing.T) {
	t.Parallel()
	second := testenv.StartTLSPostgres(t)
	s := newStack(t, stackOptions{tenantDBRoots: second.Roots, delay: activities.StepDelay{"move_copy": activities.FailStep}})
	id, admin := s.createTenant("stays", "starter")
	s.registerServer("second", second)
	name := tenantdb.Name(id)
	before, err := s.servers.Fingerprint(t.Context(), s.servers.Local(), name)
	require.NoError(t, err)

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "second", "reason": "doomed"})
	require.Equal(t, http.StatusAccepted, code, out)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		d, err := s.temporal.DescribeWorkflowExecution(t.Context(), workflows.MoveWorkflowID(id), "")
		require.NoError(c, err)
		require.Equal(c, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, d.WorkflowExecutionInfo.Status)
	}, 60*time.Second, 100*time.Millisecond)

	assert.Equal(t, "local", s.databaseServerOf(id))
	assert.Equal(t, "active", string(s.tenantRow(id).Status))
	database, role, err := s.servers.Exists(t.Context(), s.serverAt(t, "second"), name)
	require.NoError(t, err)
	assert.False(t, database, "the copy is dropped")
	assert.False(t, role)
	after, err := s.servers.Fingerprint(t.Context(), s.servers.Local(), name)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the source is untouched")
	code, out = s.call(http.MethodGet, "/v1/companies", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["companies"], 1, "the tenant is let back into its database")
	assert.Empty(t, s.actions(id, "TENANT_MOVED"))
}

// registerServer registers a second PostgreSQL as a database server under
// name, with its own login over verified TLS; it is active at once.
func (s *stack) registerServer(name string, pg testenv.TLSPostgres) {
	s.t.Helper()
	code, out := s.call(http.MethodPost, "/v1/database-servers", s.operator, map[string]any{"name": name, "host": "127.0.0.1",
		"port": pg.Port, "admin_user": "postgres", "admin_password": pg.Password, "tls": "verify-full"})
	require.Equal(s.t, http.StatusCreated, code, out)
	require.Equal(s.t, "active", out["status"], out)
}
