package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/testenv"
)

// seedTenants inserts n trial tenants straight into the platform table, one
// in every hundred with a trial that ended an hour ago, and returns those.
func seedTenants(t *testing.T, d *testenv.DB, n int) map[uuid.UUID]bool {
	ctx := context.Background()
	_, err := d.Pool.Exec(ctx, `
		INSERT INTO tenants (id, tenant_code, tenant_name, subdomain, status, plan_code, max_companies, max_users_per_company,
		                     max_transactions_per_month, max_storage_gb, api_rate_limit_per_hour, admin_email, admin_name, billing_email,
		                     trial_ends_at)
		SELECT gen_random_uuid(), 'bulk_' || g, 'Bulk ' || g, 'bulk-' || g, 'trial', 'trial', 1, 3, 100, 1, 1000,
		       'a' || g || '@example.com', 'A', 'a' || g || '@example.com',
		       CASE WHEN g % 100 = 0 THEN now() - interval '1 hour' ELSE now() + interval '10 days' END
		FROM generate_series(1, $1) g`, n)
	require.NoError(t, err)
	_, err = d.Pool.Exec(ctx, `ANALYZE tenants`)
	require.NoError(t, err)
	rows, err := d.Pool.Query(ctx, `SELECT id FROM tenants WHERE trial_ends_at < now()`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	require.NoError(t, err)
	due := map[uuid.UUID]bool{}
	for _, id := range ids {
		due[id] = true
	}
	return due
}

func TestSweepPagesExactlyTheDueTenantsAlongTheIndex(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	due := seedTenants(t, d, 20000)
	require.Len(t, due, 200)

	// The plan reads the partial index, not the table.
	var plan []string
	rows, err := d.Pool.Query(t.Context(), `EXPLAIN SELECT id, trial_ends_at FROM tenants
		WHERE status = 'trial' AND trial_end_started_for IS DISTINCT FROM trial_ends_at AND trial_ends_at <= now() AND (trial_ends_at, id) > ('-infinity'::timestamptz, '00000000-0000-0000-0000-000000000000'::uuid)
		ORDER BY trial_ends_at, id LIMIT 200`)
	require.NoError(t, err)
	plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	text := strings.Join(plan, "\n")
	t.Log(text)
	assert.Contains(t, text, "tenants_trial_unstarted")
	assert.NotContains(t, text, "Seq Scan")

	s := &activities.Sweeps{Pool: d.Pool}
	seen := map[uuid.UUID]bool{}
	cursor := activities.Cursor{Due: time.Time{}, ID: uuid.Nil}
	pages := 0
	for {
		page, err := s.Due(t.Context(), activities.DueInput{Kind: activities.DueTrials, Before: time.Now(), After: cursor, Limit: 37})
		require.NoError(t, err)
		pages++
		for _, tn := range page.Tenants {
			assert.False(t, seen[tn.ID], "a tenant is paged once")
			seen[tn.ID] = true
		}
		cursor = page.Next
		if page.Last {
			break
		}
	}
	assert.Equal(t, due, seen)

	// Once their trial ends are recorded as started, the next sweep pages none of them.
	started := make([]uuid.UUID, 0, len(seen))
	for id := range seen {
		started = append(started, id)
	}
	require.NoError(t, s.MarkStarted(t.Context(), started))
	page, err := s.Due(t.Context(), activities.DueInput{Kind: activities.DueTrials, Before: time.Now(), Limit: 37})
	require.NoError(t, err)
	assert.Empty(t, page.Tenants)
	assert.Equal(t, 6, pages, "200 due tenants in pages of 37")
}
