package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// fillWarmPool runs the warm pool's refill as its Schedule does, and waits for it.
func (s *stack) fillWarmPool(size int) workflows.WarmPoolResult {
	s.t.Helper()
	run, err := s.temporal.ExecuteWorkflow(s.t.Context(), client.StartWorkflowOptions{ID: "warm-pool/" + s.taskQueue,
		TaskQueue: s.taskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE},
		workflows.WarmPool, workflows.WarmPoolInput{Size: size})
	require.NoError(s.t, err)
	var res workflows.WarmPoolResult
	require.NoError(s.t, run.Get(s.t.Context(), &res))
	return res
}

// pooled lists the stack's pooled databases: unclaimed (with their template version) and claimed (by whom).
func (s *stack) pooled() (unclaimed map[uuid.UUID]int64, claimed map[uuid.UUID]uuid.UUID) {
	s.t.Helper()
	unclaimed, claimed = map[uuid.UUID]int64{}, map[uuid.UUID]uuid.UUID{}
	rows, err := s.db.Pool.Query(s.t.Context(), `SELECT id, template_version, claimed_by FROM warm_databases WHERE ready_at IS NOT NULL`)
	require.NoError(s.t, err)
	for rows.Next() {
		var id uuid.UUID
		var version int64
		var by *uuid.UUID
		require.NoError(s.t, rows.Scan(&id, &version, &by))
		if by == nil {
			unclaimed[id] = version
		} else {
			claimed[id] = *by
		}
	}
	require.NoError(s.t, rows.Err())
	return unclaimed, claimed
}

// databaseExists reports whether the server holds database name.
func (s *stack) databaseExists(name string) bool {
	s.t.Helper()
	var ok bool
	require.NoError(s.t, s.db.Pool.QueryRow(s.t.Context(), `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&ok))
	return ok
}

func TestSignupsClaimPooledDatabasesNeverOneTwice(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	res := s.fillWarmPool(5)
	require.Equal(t, workflows.WarmPoolResult{Ready: 5, Built: 5}, res)
	assert.Equal(t, workflows.WarmPoolResult{Ready: 5}, s.fillWarmPool(5), "a full pool builds nothing")
	unclaimed, _ := s.pooled()
	for id := range unclaimed {
		require.True(t, s.databaseExists(tenantdb.WarmName(id)))
	}

	// Eight signups at once for five pooled databases.
	ids := make([]uuid.UUID, 8)
	tokens := make([]string, 8)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for i := range ids {
		wg.Go(func() {
			code, out, err := send(s.url, http.MethodPost, "/v1/signup", "", signupBody(fmt.Sprintf("warm-%d", i)), nil)
			if err == nil && code != http.StatusAccepted {
				err = fmt.Errorf("signup %d: %d %v", i, code, out)
			}
			if err != nil {
				errs <- err
				return
			}
			ids[i] = uuid.MustParse(out["tenant"].(map[string]any)["id"].(string))
			tokens[i] = out["admin_token"].(string)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, id := range ids {
		s.waitStatus(id, "trial")
	}

	left, claimed := s.pooled()
	assert.Empty(t, left)
	require.Len(t, claimed, 5, "five signups claimed a pooled database, three built their own")
	owners := map[uuid.UUID]bool{}
	for warm, tenant := range claimed {
		assert.False(t, owners[tenant], "tenant %s claimed two pooled databases", tenant)
		owners[tenant] = true
		assert.Contains(t, ids, tenant)
		assert.False(t, s.databaseExists(tenantdb.WarmName(warm)), "a claimed database keeps no pooled name")
	}
	for i, id := range ids {
		// Every tenant, pooled or not, has its own database under its own names, owned by its owner role, seeded.
		var owner string
		var version *int64
		require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1`, tenantdb.Name(id)).Scan(&owner))
		assert.Equal(t, tenantdb.OwnerName(tenantdb.Name(id)), owner)
		require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT schema_version FROM tenants WHERE id = $1`, id).Scan(&version))
		assert.NotNil(t, version, "the schema version of %s is recorded", id)
		code, out := s.call(http.MethodGet, "/v1/companies", tokens[i], nil)
		require.Equal(t, http.StatusOK, code, out)
		companies := out["companies"].([]any)
		require.Len(t, companies, 1)
		assert.Equal(t, fmt.Sprintf("Acme warm-%d", i), companies[0].(map[string]any)["name"], "served from its own database")
	}

	code, out := s.call(http.MethodGet, "/v1/warm-pool", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	servers := out["servers"].([]any)
	require.Len(t, servers, 1)
	local := servers[0].(map[string]any)
	assert.Equal(t, "local", local["server"])
	assert.EqualValues(t, 0, local["ready"])
	assert.EqualValues(t, 5, local["hits"])
	assert.EqualValues(t, 3, local["misses"])
	assert.Greater(t, local["avg_build_ms"], 0.0)
	code, _ = s.call(http.MethodGet, "/v1/warm-pool", tokens[0], nil)
	assert.Equal(t, http.StatusForbidden, code, "the warm pool is for operators")

	assert.Equal(t, workflows.WarmPoolResult{Ready: 5, Built: 5}, s.fillWarmPool(5), "the next refill builds what was claimed")
}

func TestATemplateChangeRetiresPooledDatabasesBuiltFromTheOldOne(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{ownTemplate: true})
	require.Equal(t, workflows.WarmPoolResult{Ready: 2, Built: 2}, s.fillWarmPool(2))
	old, _ := s.pooled()
	require.Len(t, old, 2)

	// A newer release rebuilt the template (its comment says what it was built
	// from) and recorded it, as its workers do; this release keeps it.
	_, err := s.db.Pool.Exec(t.Context(), "COMMENT ON DATABASE "+pgx.Identifier{s.servers.Template()}.Sanitize()+" IS 'landlord tenant template v99 sha256:newer'")
	require.NoError(t, err)
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE database_servers SET template_version = 99, template_digest = 'sha256:newer'`)
	require.NoError(t, err)

	early, _ := s.signup(signupBody("warm-early"))
	s.waitStatus(early, "trial")
	_, claimed := s.pooled()
	assert.Empty(t, claimed, "no signup gets a database of the old template")

	assert.Equal(t, workflows.WarmPoolResult{Ready: 2, Built: 2, Retired: 2}, s.fillWarmPool(2))
	now, _ := s.pooled()
	require.Len(t, now, 2)
	for id, version := range now {
		assert.NotContains(t, old, id)
		assert.Equal(t, int64(99), version)
	}
	for id := range old {
		assert.False(t, s.databaseExists(tenantdb.WarmName(id)), "a retired pooled database is dropped")
	}
	late, _ := s.signup(signupBody("warm-late"))
	s.waitStatus(late, "trial")
	_, claimed = s.pooled()
	require.Len(t, claimed, 1)
	for _, by := range claimed {
		assert.Equal(t, late, by)
	}
}
