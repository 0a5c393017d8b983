package e2e

import (
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/web"
)

// portalFiles is the built portal; make test builds it first (make web).
func portalFiles(t testing.TB) (files fs.FS) {
	files, built := web.Dist()
	require.True(t, built, "the portal is not built: run make web (make test does)")
	return files
}

// scenario runs one of the portal's browser scenarios (web/e2e) with args,
// screenshots kept in $TMPDIR/landlord-portal-screenshots; it prints "ok" last.
func scenario(t *testing.T, script string, args ...string) {
	t.Helper()
	shots := filepath.Join(os.TempDir(), "landlord-portal-screenshots")
	require.NoError(t, os.MkdirAll(shots, 0o755))
	cmd := exec.Command("node", append([]string{"e2e/" + script}, append(args, shots)...)...)
	cmd.Dir = filepath.Join("..", "web")
	printed, err := cmd.CombinedOutput()
	require.NoError(t, err, "the browser scenario %s:\n%s\n(screenshots in %s)", script, printed, shots)
	assert.Equal(t, "ok", strings.TrimSpace(string(printed)))
}

// TestTheOperatorSignsInFindsATenantAndSignsOut drives the portal in Debian's
// chromium (web/e2e/operator.mjs) against the real stack: sign in, find a
// tenant, upgrade it after reading the preview and see its invoice paid,
// suspend it with a reason, cancel it, sign out. It also checks what the portal is
// served with: a strict Content-Security-Policy, and never in place of the API.
func TestTheOperatorSignsInFindsATenantAndSignsOut(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{portal: portalFiles(t)})
	id, admin := s.createTenant("portal-find-me", "starter")
	s.createTenant("portal-other", "starter")
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)

	res, err := http.Get(s.url + "/tenants/anything")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the application's routes serve the page")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	res, err = http.Get(s.url + "/v1/nothing-here")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the portal never answers for the API")

	scenario(t, "operator.mjs", s.url, s.operator, "portal-find-me", "Acme portal-find-me")
	// What the page showed is what happened (the test calendar archives 2 s after cancelling).
	assert.Contains(t, []string{"cancelled", "archiving", "archived"}, string(s.tenantRow(id).Status))
	assert.Equal(t, "the customer closes the business", s.auditActions(id)["CANCELLATION_REQUESTED"]["reason"])
	assert.Equal(t, "professional", s.tenantRow(id).PlanCode)
}

// TestTheTenantAdminMeetsItsLimitUpgradesAndSeesItsSuspension: the tenant
// admin's portal in Debian's chromium (web/e2e/tenant_admin.mjs): it adds
// users until the plan's limit, takes the upgrade the limit offers, adds the
// user it held back; then, suspended by an operator, it sees why.
func TestTheTenantAdminMeetsItsLimitUpgradesAndSeesItsSuspension(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{portal: portalFiles(t)})
	id, admin := s.createTenant("portal-admin", "starter")
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)
	scenario(t, "tenant_admin.mjs", s.url, admin, "Acme portal-admin", "limits")
	assert.Equal(t, "professional", s.tenantRow(id).PlanCode)
	assert.Equal(t, "pm_card_mastercard", *s.tenantRow(id).PaymentMethod)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "legal hold"})
	require.Equal(t, http.StatusOK, code, out)
	scenario(t, "tenant_admin.mjs", s.url, admin, "Acme portal-admin", "suspended")
}

// TestTheOperatorRunsATrialEndRestartsAnOnboardingAndSuspendsInBulk: the
// operator's day-two work in Debian's chromium (web/e2e/operations.mjs): a
// trial's end read on its timeline and run now, a failed onboarding started
// again, three tenants suspended in one bulk operation, the list exported, a
// sweep run from the operations page.
func TestTheOperatorRunsATrialEndRestartsAnOnboardingAndSuspendsInBulk(t *testing.T) {
	t.Parallel()
	fb := &flakyBilling{doomed: map[string]bool{"ana@ops-failed.example.com": true}}
	s := newStack(t, stackOptions{portal: portalFiles(t), billing: fb, schedules: true})
	trial, _ := s.createTenant("ops-trial", "trial")
	failed, _ := s.signup(signupBody("ops-failed"))
	s.waitStatus(failed, "failed")
	var bulk []uuid.UUID
	for _, sub := range []string{"ops-bulk-a", "ops-bulk-b", "ops-bulk-c"} {
		id, _ := s.createTenant(sub, "starter")
		bulk = append(bulk, id)
	}
	ends := s.tenantRow(trial).TrialEndsAt.UTC().Format(time.RFC3339Nano)

	scenario(t, "operations.mjs", s.url, s.operator, trial.String(), ends, failed.String())

	// What the pages showed is what happened.
	row := s.tenantRow(trial)
	assert.Equal(t, "suspended", string(row.Status))
	assert.Equal(t, "trial_expired", *row.SuspensionReason)
	for _, id := range bulk {
		assert.Equal(t, "suspended", string(s.tenantRow(id).Status))
		assert.Equal(t, "chargebacks from one card", s.auditActions(id)["BULK_SUSPEND_REQUESTED"]["reason"])
	}
	var again string
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT status FROM tenants WHERE subdomain = 'ops-failed' AND id <> $1`, failed).Scan(&again))
	assert.Equal(t, "trial", again)
}
