package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/server"
)

// TestMetricsShowTheBusinessAndPassPromtool signs tenants up, changes a plan
// and suspends one, then reads what /metrics serves in production (landlord's
// counters, the Temporal SDK's, and the state read at scrape time): the
// figures are there, and `promtool check metrics` passes the exposition.
func TestMetricsShowTheBusinessAndPassPromtool(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	s.signup(signupBody("metrics-trial"))
	id, admin := s.createTenant("metrics-paid", "starter")
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "professional"})
	require.Equal(t, http.StatusOK, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "metrics check"})
	require.Equal(t, http.StatusOK, code, out)
	s.sweep("trials")

	state := prometheus.NewRegistry()
	state.MustRegister(server.NewStateCollector(s.db.OperatorPool, s.pools, nil))
	scrape := httptest.NewServer(promhttp.HandlerFor(prometheus.Gatherers{prometheus.DefaultGatherer, state}, promhttp.HandlerOpts{}))
	defer scrape.Close()
	var body []byte
	var text string
	require.EventuallyWithT(t, func(c *assert.CollectT) { // the SDK reports every second
		res, err := http.Get(scrape.URL)
		require.NoError(c, err)
		defer res.Body.Close()
		body, err = io.ReadAll(res.Body)
		require.NoError(c, err)
		text = string(body)
		require.Regexp(c, `landlord_sweep_last_completed_timestamp_seconds\{[^}]*sweep="trials"[^}]*\} [1-9]`, text)
	}, 10*time.Second, 200*time.Millisecond)
	for _, want := range []string{
		`landlord_tenants{plan="trial",status="trial"} 1`,
		`landlord_tenants{plan="professional",status="suspended"} 1`,
		`landlord_outbox_queued{channel="email"}`,
		`landlord_tenant_pool_connections{state="idle"}`,
		`landlord_plan_changes_total{direction="upgrade"}`,
		`landlord_payments_total{result="succeeded"}`,
		`landlord_suspensions_total{cause="operator"}`,
		`landlord_http_requests_total{`,
		`temporal_workflow_task_execution_latency`,
		`temporal_activity_execution_latency`,
	} {
		assert.Contains(t, text, want)
	}
	check := exec.Command("promtool", "check", "metrics")
	check.Stdin = bytes.NewReader(body)
	out2, err := check.CombinedOutput()
	assert.NoError(t, err, "promtool check metrics:\n%s", out2)
	assert.Empty(t, strings.TrimSpace(string(out2)), "promtool has remarks")
}
