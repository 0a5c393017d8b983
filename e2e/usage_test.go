package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsageSweepSnapshotsAndFiresEachAlertOncePerPeriod(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, tok := s.signup(signupBody("alerting"))
	s.waitStatus(id, "trial")
	quiet, _ := s.signup(signupBody("quiet"))
	s.waitStatus(quiet, "trial")
	company := s.defaultCompany(tok)
	for i := range 2 { // 3 of the trial's 3 users
		code, out := s.call(http.MethodPost, "/v1/companies/"+company+"/users", tok, map[string]any{"email": "u" + strconv.Itoa(i) + "@alerting.example.com", "name": "U"})
		require.Equal(t, http.StatusCreated, code, out)
	}
	for range 12 { // a busy first day: above twice a (zero) daily average
		code, _ := s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 100})
		require.Equal(t, http.StatusCreated, code)
	}
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '2 days' WHERE id = $1`, id)
	require.NoError(t, err)

	for range 2 {
		assert.Equal(t, 2, s.sweep("usage"), "both live tenants measured")
	}
	assert.Equal(t, 12, s.count(`SELECT transactions FROM tenant_usage WHERE tenant_id = $1`, id))
	assert.Equal(t, 3, s.count(`SELECT users FROM tenant_usage WHERE tenant_id = $1`, id))

	code, out := s.call(http.MethodGet, "/v1/alerts", tok, nil)
	require.Equal(t, http.StatusOK, code)
	rules := map[string]int{}
	for _, a := range out["alerts"].([]any) {
		rules[a.(map[string]any)["rule"].(string)]++
	}
	assert.Equal(t, map[string]int{"approaching_user_limit": 1, "trial_ending_soon": 1, "high_transaction_volume": 1}, rules)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'alert_high_volume' AND recipient = 'support@landlord.example.com'`, id))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'alert_user_limit'`, id))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'trial_reminder'`, id))
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM alerts WHERE tenant_id = $1`, quiet))

	code, out = s.call(http.MethodGet, "/v1/alerts?tenant_id="+quiet.String(), s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Empty(t, out["alerts"])
}

func TestStorageFarOverItsLimitRefusesNewTransactions(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, tok := s.createTenant("hoarder", "starter")
	company := s.defaultCompany(tok)
	code, _ := s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 1})
	require.Equal(t, http.StatusCreated, code)
	// The last snapshot saw 12.5 GB of the starter plan's 10 GB: 125%.
	_, err := s.db.Pool.Exec(t.Context(), `INSERT INTO tenant_usage (tenant_id, month, storage_bytes)
		VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 12.5 * 1024 * 1024 * 1024)`, id)
	require.NoError(t, err)
	// The API reads a tenant's snapshot again within a second (freshFor).
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 1})
		require.Equal(c, http.StatusForbidden, code)
		assert.Equal(c, "max_storage_gb", out["error"].(map[string]any)["details"].(map[string]any)["limit"])
	}, 2*time.Second, 50*time.Millisecond)
	code, _ = s.call(http.MethodPost, "/v1/companies/"+company+"/users", tok, map[string]any{"email": "still@hoarder.example.com", "name": "S"})
	assert.Equal(t, http.StatusCreated, code, "storage only stops transactions")
}

// sweepUsage runs the usage sweep now and returns how many tenants it
// measured and how many tenant databases it opened to do so.
func (s *stack) sweepUsage() (measured, opened int) {
	s.t.Helper()
	code, out := s.call(http.MethodPost, "/v1/sweeps/usage", s.operator, nil)
	require.Equal(s.t, http.StatusOK, code, out)
	return int(out["started"].(float64)), int(out["opened"].(float64))
}

// TestTheUsageSweepOpensOnlyTheDatabasesWrittenToSince: the first sweep of a
// month opens every tenant database; once the fleet is quiet a sweep opens
// none (each server is asked once for its databases' sizes and written rows)
// yet every snapshot stays current; a transaction posted by one tenant makes
// the next sweeps open that tenant's database alone, and its snapshot counts it.
func TestTheUsageSweepOpensOnlyTheDatabasesWrittenToSince(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	busy, tok := s.signup(signupBody("usage-busy"))
	idle, _ := s.signup(signupBody("usage-idle"))
	s.waitStatus(busy, "trial")
	s.waitStatus(idle, "trial")

	measured, opened := s.sweepUsage()
	assert.Equal(t, 2, measured)
	assert.Equal(t, 2, opened, "nothing measured this month yet: both are opened")
	// A server publishes its counts when its sessions commit or end: the
	// onboarding's last writes may show one sweep late.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		measured, opened := s.sweepUsage()
		assert.Equal(c, 2, measured, "both snapshots stay current")
		assert.Equal(c, 0, opened, "a quiet fleet is not opened")
	}, 15*time.Second, 200*time.Millisecond)
	idleMark := s.count(`SELECT write_mark FROM tenant_usage WHERE tenant_id = $1`, idle)

	company := s.defaultCompany(tok)
	code, out := s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 100})
	require.Equal(t, http.StatusCreated, code, out)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		_, opened := s.sweepUsage()
		assert.Equal(c, 1, s.count(`SELECT transactions FROM tenant_usage WHERE tenant_id = $1`, busy), "opened: %d", opened)
	}, 15*time.Second, 200*time.Millisecond, "the busy tenant's database is opened and its transaction counted")
	measured, opened = s.sweepUsage()
	assert.Equal(t, 2, measured)
	assert.LessOrEqual(t, opened, 1, "never the idle tenant's")
	assert.Equal(t, idleMark, s.count(`SELECT write_mark FROM tenant_usage WHERE tenant_id = $1`, idle), "the idle tenant was not opened")
	assert.Positive(t, s.count(`SELECT storage_bytes FROM tenant_usage WHERE tenant_id = $1`, idle), "its size is still known")
}
