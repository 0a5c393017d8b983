package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
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

	// Every metric the Grafana dashboard and the alert rules read is one landlord serves.
	failuresOnly := map[string]bool{ // the SDK reports these once something has failed
		"temporal_workflow_task_execution_failed_total": true, "temporal_activity_execution_failed_total": true}
	name := regexp.MustCompile(`\b(?:landlord|temporal)_[a-z_]+`)
	for _, f := range []string{"../deploy/grafana/dashboards/landlord.json", "../deploy/prometheus/alerts.yml"} {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.HasSuffix(f, ".json") {
			require.True(t, json.Valid(raw), "%s is not JSON", f)
		}
		for _, m := range name.FindAllString(string(raw), -1) {
			m = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
			if !failuresOnly[m] {
				assert.Contains(t, text, "# TYPE "+m+" ", "%s reads %s, which /metrics does not serve", f, m)
			}
		}
	}

	check := exec.Command("promtool", "check", "metrics")
	check.Stdin = bytes.NewReader(body)
	out2, err := check.CombinedOutput()
	assert.NoError(t, err, "promtool check metrics:\n%s", out2)
	assert.Empty(t, strings.TrimSpace(string(out2)), "promtool has remarks")
}
