package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/workflows"
)

// TestASuspensionMadeElsewhereStopsTheTenantAPIWithinTwoSeconds: an API
// process reuses what it read of a token and a tenant for a second; a
// suspension that did not come through it (a trial end's, here the Suspend
// workflow started directly) still turns the tenant away within 2 s: on a
// second API process by the expiry alone (a read that never touches the
// tenant database), and at once on a request whose database refuses it, which
// is told the tenant is suspended, not that its database is down.
func TestASuspensionMadeElsewhereStopsTheTenantAPIWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	second := s.startAPI(ratelimit.NewMemory())
	id, tok := s.signup(signupBody("cached-suspend"))
	s.waitStatus(id, "trial")
	company := s.defaultCompany(tok)
	code, out := s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 100, "memo": "x"})
	require.Equal(t, http.StatusCreated, code, out) // the first API now holds the token and the tenant
	audit := func() (int, map[string]any) {
		code, out, err := send(second, http.MethodGet, "/v1/tenants/"+id.String()+"/audit", tok, nil, nil)
		require.NoError(t, err)
		return code, out
	}
	code, out = audit()
	require.Equal(t, http.StatusOK, code, out) // and the second the token

	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() - interval '1 minute' WHERE id = $1`, id)
	require.NoError(t, err)
	run, err := s.temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: workflows.SuspendWorkflowID(id), TaskQueue: s.taskQueue},
		workflows.Suspend, workflows.SuspendInput{TenantID: id, Reason: lifecycle.ReasonTrialExpired, Actor: "workflow:trial-end"})
	require.NoError(t, err)
	var res workflows.SuspendResult
	require.NoError(t, run.Get(t.Context(), &res))
	require.True(t, res.Suspended)
	suspended := time.Now()

	code, out = s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 100, "memo": "x"})
	assert.Equal(t, http.StatusForbidden, code, "a suspended tenant is told so, not that its database is down: %v", out)
	assert.Equal(t, "tenant_suspended", errorCode(out))

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := audit()
		require.Equal(c, http.StatusForbidden, code, out)
		require.Equal(c, "tenant_suspended", errorCode(out))
	}, 2*time.Second, 20*time.Millisecond, "a suspension takes effect within 2 s")
	t.Logf("the second API refused the tenant %s after the suspension ended", time.Since(suspended).Round(time.Millisecond))
}
