package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/workflows"
)

// TestASuspensionMadeElsewhereStopsTheTenantAPIWithinTwoSeconds: the API
// reuses what it read of a token and a tenant for a second; a suspension that
// did not come through this API process (a trial end's, here the Suspend workflow
// started directly) still turns the tenant's next requests away within 2 s.
func TestASuspensionMadeElsewhereStopsTheTenantAPIWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, tok := s.signup(signupBody("cached-suspend"))
	s.waitStatus(id, "trial")
	code, out := s.call(http.MethodGet, "/v1/companies", tok, nil)
	require.Equal(t, http.StatusOK, code, out)
	company := out["companies"].([]any)[0].(map[string]any)["id"]
	code, out = s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": company, "amount_cents": 100, "memo": "x"})
	require.Equal(t, http.StatusCreated, code, out) // the token and the tenant are now cached
	// Polled with a company that does not exist (404 while it may post), so the polls use none of the plan's transactions.
	post := func() (int, map[string]any) {
		return s.call(http.MethodPost, "/v1/transactions", tok, map[string]any{"company_id": uuid.NewString(), "amount_cents": 100, "memo": "x"})
	}
	code, out = post()
	require.Equal(t, http.StatusNotFound, code, out)

	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() - interval '1 minute' WHERE id = $1`, id)
	require.NoError(t, err)
	run, err := s.temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: workflows.SuspendWorkflowID(id), TaskQueue: s.taskQueue},
		workflows.Suspend, workflows.SuspendInput{TenantID: id, Reason: lifecycle.ReasonTrialExpired, Actor: "workflow:trial-end"})
	require.NoError(t, err)
	var res workflows.SuspendResult
	require.NoError(t, run.Get(t.Context(), &res))
	require.True(t, res.Suspended)
	suspended := time.Now()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := post()
		require.Equal(c, http.StatusForbidden, code, out)
		require.Equal(c, "tenant_suspended", out["error"].(map[string]any)["code"])
	}, 2*time.Second, 20*time.Millisecond, "a suspension takes effect within 2 s")
	t.Logf("refused %s after the suspension ended", time.Since(suspended).Round(time.Millisecond))
}
