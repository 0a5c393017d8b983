package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
)

// workflows counts the stack's workflows whose status matches, as Temporal's visibility lists them.
func (s *stack) workflows(status string) int {
	s.t.Helper()
	resp, err := s.temporal.ListWorkflow(s.t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = '%s'", s.taskQueue, status)})
	require.NoError(s.t, err)
	return len(resp.Executions)
}

func TestRejectedRequestsLeaveNoFailedWorkflow(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.signup(signupBody("taken-name"))
	s.waitStatus(id, "trial")

	code, out := s.call(http.MethodPost, "/v1/signup", "", signupBody("taken-name"))
	assert.Equal(t, http.StatusConflict, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "platinum"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	s.setPaymentMethod(id, "pm_card_chargeDeclined")
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter", "effective": "immediate"})
	assert.Equal(t, http.StatusPaymentRequired, code, out)
	assert.Equal(t, "card_declined", out["error"].(map[string]any)["details"].(map[string]any)["failure_code"])

	// One onboarding (the signup turned down is refused by the API before any
	// workflow starts), two plan changes (both turned down), one payment method: all completed.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 4, s.workflows("Completed"))
	}, 30*time.Second, 100*time.Millisecond)
	assert.Zero(t, s.workflows("Failed"), "operators alert on Failed: a turned-down request is not one")
}
