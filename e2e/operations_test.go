package e2e

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/workflows"
)

// auditActions are the actions in a tenant's audit log, oldest first, with their details.
func (s *stack) auditActions(id uuid.UUID) map[string]map[string]any {
	s.t.Helper()
	code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit?limit=500", s.operator, nil)
	require.Equal(s.t, http.StatusOK, code, out)
	actions := map[string]map[string]any{}
	for _, e := range out["audit"].([]any) {
		entry := e.(map[string]any)
		details, _ := entry["details"].(map[string]any)
		actions[entry["action"].(string)] = details
	}
	return actions
}

func TestOperatorActionsNeedAReasonForTheAuditLog(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("reasons", "starter")
	tenant := "/v1/tenants/" + id.String()
	code, out := s.call(http.MethodPut, tenant+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)

	for _, c := range []struct{ method, path string }{
		{http.MethodPost, tenant + "/plan"}, {http.MethodPost, tenant + "/suspend"}, {http.MethodPost, tenant + "/reactivate"},
		{http.MethodPut, tenant + "/payment-method"}, {http.MethodDelete, tenant},
	} {
		body := map[string]any{"reason": "  "}
		switch c.path {
		case tenant + "/plan":
			body = map[string]any{"plan_code": "professional"}
		case tenant + "/payment-method":
			body = map[string]any{"payment_method": "pm_card_visa"}
		case tenant:
			body = nil
		}
		code, out := s.call(c.method, c.path, s.operator, body)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%s %s: %v", c.method, c.path, out)
		assert.Contains(t, out["error"].(map[string]any)["details"], "reason", "%s %s", c.method, c.path)
	}
	assert.Equal(t, "active", string(s.tenantRow(id).Status), "nothing happened without a reason")
	assert.Equal(t, "starter", s.tenantRow(id).PlanCode)

	code, out = s.call(http.MethodPost, tenant+"/plan", s.operator, map[string]any{"plan_code": "professional", "reason": "agreed on the phone, ticket 4711"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, map[string]any{"reason": "agreed on the phone, ticket 4711", "plan_code": "professional", "billing_cycle": "", "effective": ""},
		s.auditActions(id)["PLAN_CHANGE_REQUESTED"])
	// The tenant's own admin need not explain itself to itself.
	code, out = s.call(http.MethodPost, tenant+"/plan", admin, map[string]any{"plan_code": "enterprise"})
	require.Equal(t, http.StatusOK, code, out)
	code, out = s.call(http.MethodDelete, tenant+"?reason=asked+to+close", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code, out)
	assert.Equal(t, "asked to close", s.auditActions(id)["CANCELLATION_REQUESTED"]["reason"])
}

// TestTheTimelineShowsWhatCameAndWhatComesNext: a trial's reminder and end
// are on its timeline with their dates; the operator extends the trial, then
// runs its end now, and the timeline and the tenant follow.
func TestTheTimelineShowsWhatCameAndWhatComesNext(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.createTenant("timeline", "trial")
	tenant := "/v1/tenants/" + id.String()
	ends := s.tenantRow(id).TrialEndsAt.UTC()

	code, tl := s.call(http.MethodGet, tenant+"/timeline", s.operator, nil)
	require.Equal(t, http.StatusOK, code, tl)
	next := tl["next"].([]any)
	require.Len(t, next, 2, "%v", next)
	assert.Equal(t, "trial_reminder", next[0].(map[string]any)["step"])
	assert.Equal(t, ends.Add(-s.policy.TrialReminder).Format(time.RFC3339Nano), parseTime(t, next[0].(map[string]any)["at"]).Format(time.RFC3339Nano))
	end := next[1].(map[string]any)
	assert.Equal(t, "trial_end", end["step"])
	assert.Equal(t, ends.Format(time.RFC3339Nano), parseTime(t, end["at"]).Format(time.RFC3339Nano))
	assert.Equal(t, []any{"run_now", "extend"}, end["actions"])
	var titles []string
	for _, e := range tl["past"].([]any) {
		titles = append(titles, e.(map[string]any)["title"].(string))
	}
	assert.Contains(t, titles, "provisioning → trial: onboarding complete")
	assert.Contains(t, titles, "TOKEN_CREATED")

	later := ends.Add(7 * 24 * time.Hour).Truncate(time.Second)
	code, out := s.call(http.MethodPost, tenant+"/trial/extend", s.operator, map[string]any{"until": later, "reason": "evaluation takes longer"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, later, parseTime(t, out["trial_ends_at"]))
	code, tl = s.call(http.MethodGet, tenant+"/timeline", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, later, parseTime(t, tl["next"].([]any)[1].(map[string]any)["at"]))
	assert.Equal(t, "evaluation takes longer", s.auditActions(id)["TRIAL_EXTENDED"]["reason"])

	code, out = s.call(http.MethodPost, tenant+"/trial/end", s.operator, map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, code, out)
	code, out = s.call(http.MethodPost, tenant+"/trial/end", s.operator, map[string]any{"reason": "customer asked to stop"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "suspended", out["status"], "no card on file: the trial's end suspends")
	assert.Equal(t, "trial_expired", out["suspension_reason"])
	code, out = s.call(http.MethodPost, tenant+"/trial/end", s.operator, map[string]any{"reason": "again"})
	assert.Equal(t, http.StatusConflict, code, out)
	code, tl = s.call(http.MethodGet, tenant+"/timeline", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "offboard_warning", tl["next"].([]any)[0].(map[string]any)["step"], "an expired trial is on the way to offboarding")
	assert.Empty(t, tl["running"])
}

// TestATrialEndRunNowConvertsATenantWithACard: the trial end that was already
// waiting (started by the sweep) wakes and converts at once.
func TestATrialEndRunNowConvertsATenantWithACard(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("timeline-card", "trial")
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '30 minutes' WHERE id = $1`, id)
	require.NoError(t, err)
	require.Equal(t, 1, s.sweep("trials"))
	code, tl := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/timeline", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, tl["running"], 1, "the trial end waits: %v", tl["running"])
	assert.Equal(t, "trial-end/"+id.String(), tl["running"].([]any)[0].(map[string]any)["workflow_id"])

	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/trial/end", s.operator, map[string]any{"reason": "wants to start now"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "active", out["status"])
}

// flakyBilling fails customer creation: for good for the addresses in doomed
// (once each), and for a while (retryably) for those in slow.
type flakyBilling struct {
	billing.Local
	mu     sync.Mutex
	doomed map[string]bool
	slow   map[string]int
}

func (f *flakyBilling) CreateCustomer(ctx context.Context, c billing.Customer, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.doomed[c.Email] {
		delete(f.doomed, c.Email)
		return "", errors.Join(billing.ErrRejected, errors.New("card network says no"))
	}
	if f.slow[c.Email] > 0 {
		f.slow[c.Email]--
		return "", errors.New("payment provider unreachable")
	}
	return f.Local.CreateCustomer(ctx, c, key)
}

// TestFailedAndSlowOnboardingsAreShownAndStartedAgain: a step being retried
// shows its attempt and error; a failed onboarding shows its step and cause
// and, started again, makes a ready tenant from the same details.
func TestFailedAndSlowOnboardingsAreShownAndStartedAgain(t *testing.T) {
	t.Parallel()
	fb := &flakyBilling{doomed: map[string]bool{"ana@restart-me.example.com": true}, slow: map[string]int{"ana@slow-one.example.com": 4}}
	s := newStack(t, stackOptions{billing: fb})

	slow, _ := s.signup(signupBody("slow-one"))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, "/v1/tenants/"+slow.String(), s.operator, nil)
		require.Equal(c, http.StatusOK, code)
		retrying, _ := out["onboarding"].(map[string]any)["retrying"].(map[string]any)
		require.NotNil(c, retrying, "%v", out["onboarding"])
		assert.Equal(c, "CreateCustomer", retrying["activity"])
		assert.GreaterOrEqual(c, retrying["attempt"], float64(2))
		assert.Contains(c, retrying["last_error"], "payment provider unreachable")
	}, 20*time.Second, 100*time.Millisecond)
	s.waitStatus(slow, "trial")

	id, _ := s.signup(signupBody("restart-me"))
	failed := s.waitStatus(id, "failed")
	assert.Contains(t, failed["onboarding"].(map[string]any)["error"], "billing_customer")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+slow.String()+"/onboarding/restart", s.operator, map[string]any{"reason": "x"})
	assert.Equal(t, http.StatusConflict, code, "only a failed onboarding starts again: %v", out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/onboarding/restart", s.operator, map[string]any{"reason": "the card network is back"})
	require.Equal(t, http.StatusAccepted, code, out)
	again := uuid.MustParse(out["tenant"].(map[string]any)["id"].(string))
	assert.NotEqual(t, id, again)
	ready := s.waitStatus(again, "trial")
	assert.Equal(t, "restart-me", ready["subdomain"])
	assert.Equal(t, "Acme restart-me", ready["name"])
	assert.Equal(t, "failed", string(s.tenantRow(id).Status), "the failed attempt stays as its record")
	assert.Equal(t, "the card network is back", s.auditActions(id)["ONBOARDING_RESTARTED"]["reason"])
}

// TestABulkSuspensionRunsEachTenantsOwnWorkflow: three live tenants and one
// already suspended, suspended in one operation: three done, one skipped,
// each with the reason in its audit log.
func TestABulkSuspensionRunsEachTenantsOwnWorkflow(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	var ids []uuid.UUID
	for _, sub := range []string{"bulk-a", "bulk-b", "bulk-c", "bulk-held"} {
		id, _ := s.createTenant(sub, "starter")
		ids = append(ids, id)
	}
	code, out := s.call(http.MethodPost, "/v1/tenants/"+ids[3].String()+"/suspend", s.operator, map[string]any{"reason": "earlier"})
	require.Equal(t, http.StatusOK, code, out)

	for _, bad := range []map[string]any{
		{"action": "delete", "tenant_ids": ids, "reason": "r"},
		{"action": "suspend", "tenant_ids": []uuid.UUID{}, "reason": "r"},
		{"action": "suspend", "tenant_ids": []uuid.UUID{ids[0], ids[0]}, "reason": "r"},
		{"action": "suspend", "tenant_ids": ids},
		{"action": "extend_trial", "tenant_ids": ids, "reason": "r"},
	} {
		code, out := s.call(http.MethodPost, "/v1/bulk-operations", s.operator, bad)
		assert.Equal(t, http.StatusUnprocessableEntity, code, "%v: %v", bad, out)
	}
	code, out = s.call(http.MethodPost, "/v1/bulk-operations", s.operator, map[string]any{"action": "suspend", "tenant_ids": ids, "reason": "fraud ring"})
	require.Equal(t, http.StatusAccepted, code, out)
	assert.Equal(t, float64(4), out["counts"].(map[string]any)["pending"])
	path := "/v1/bulk-operations/" + out["id"].(string)
	var done map[string]any
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out := s.call(http.MethodGet, path, s.operator, nil)
		require.Equal(c, http.StatusOK, code, out)
		require.Equal(c, true, out["finished"], "%v", out)
		done = out
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, map[string]any{"done": float64(3), "skipped": float64(1)}, done["counts"])
	for i, it := range done["items"].([]any) {
		item := it.(map[string]any)
		assert.Equal(t, ids[i].String(), item["tenant_id"])
		want := "done"
		if i == 3 {
			want = "skipped"
		}
		assert.Equal(t, want, item["status"], "%v", item)
		assert.Equal(t, "suspended", string(s.tenantRow(ids[i]).Status))
		assert.Equal(t, "fraud ring", s.auditActions(ids[i])["BULK_SUSPEND_REQUESTED"]["reason"])
	}
	code, _ = s.call(http.MethodGet, "/v1/bulk-operations/"+uuid.NewString(), s.operator, nil)
	assert.Equal(t, http.StatusNotFound, code)
}

// TestTheTenantListExportsToCSVThatNoSpreadsheetRuns: the export holds every
// tenant the filters select, and a company named like a formula stays text.
func TestTheTenantListExportsToCSVThatNoSpreadsheetRuns(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	body := signupBody("csv-formula")
	body["company_name"] = `=HYPERLINK("http://evil.example","click")`
	s.signup(body)
	s.signup(signupBody("csv-plain"))

	req, err := http.NewRequest(http.MethodGet, s.url+"/v1/tenants/export?q=csv-", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.operator)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3, "a header and two tenants:\n%s", raw)
	assert.Equal(t, "name", rows[0][2])
	names := []string{rows[1][2], rows[2][2]}
	assert.ElementsMatch(t, []string{`'=HYPERLINK("http://evil.example","click")`, "Acme csv-plain"}, names)

	id, admin := s.createTenant("csv-admin", "starter")
	_ = id
	code, _ := s.call(http.MethodGet, "/v1/tenants/export", admin, nil)
	assert.Equal(t, http.StatusForbidden, code)
}

// TestThePlanPreviewShowsTheNewLimitsAgainstUsage: a downgrade the tenant has
// outgrown says which limit it is over before anything is tried.
func TestThePlanPreviewShowsTheNewLimitsAgainstUsage(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("preview-usage", "professional")
	code, out := s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": "second", "name": "Second Co"})
	require.Equal(t, http.StatusCreated, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan/preview", admin, map[string]any{"plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, true, out["usage_measured"])
	assert.Equal(t, float64(1), out["limits"].(map[string]any)["max_companies"])
	assert.Equal(t, []any{map[string]any{"limit": "max_companies", "used": float64(2), "allowed": float64(1)}}, out["over"])
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan/preview", admin, map[string]any{"plan_code": "enterprise"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Empty(t, out["over"])
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, v.(string))
	require.NoError(t, err)
	return at.UTC()
}

// TestTheSweepsShowTheirScheduleAndTheirLastRunByHand.
func TestTheSweepsShowTheirScheduleAndTheirLastRunByHand(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{schedules: true})
	require.Equal(t, 0, s.sweep("trials"))
	code, out := s.call(http.MethodGet, "/v1/sweeps", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	sweeps := out["sweeps"].([]any)
	require.Len(t, sweeps, len(workflows.SweepNames))
	for i, v := range sweeps {
		sw := v.(map[string]any)
		assert.Equal(t, workflows.SweepNames[i], sw["name"])
		assert.Equal(t, true, sw["scheduled"])
		assert.Equal(t, "1h0m0s", sw["every"])
		next := parseTime(t, sw["next_run_at"])
		assert.WithinDuration(t, time.Now().Add(30*time.Minute), next, 31*time.Minute)
	}
	manual := sweeps[0].(map[string]any)["manual_run"].(map[string]any)
	assert.Equal(t, "completed", manual["status"])
	assert.Nil(t, sweeps[1].(map[string]any)["manual_run"])
}
