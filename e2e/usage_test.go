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
