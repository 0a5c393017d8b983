package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// sweep runs a sweep now through the API and returns how many workflows it
// started; a sweep the API stopped waiting for (202) is waited for here.
func (s *stack) sweep(name string) int {
	s.t.Helper()
	code, out := s.call(http.MethodPost, "/v1/sweeps/"+name, s.operator, nil)
	if code == http.StatusAccepted {
		var res workflows.SweepResult
		require.NoError(s.t, s.temporal.GetWorkflow(s.t.Context(), out["workflow_id"].(string), "").Get(s.t.Context(), &res))
		return res.Started
	}
	require.Equal(s.t, http.StatusOK, code, out)
	return int(out["started"].(float64))
}

// access says whether the tenant database takes connections and the tenant role may connect.
func (s *stack) access(id uuid.UUID) (allowConn, roleConnect bool) {
	s.t.Helper()
	name := tenantdb.Name(id)
	require.NoError(s.t, s.db.Pool.QueryRow(s.t.Context(), `SELECT datallowconn, has_database_privilege($1, datname, 'CONNECT')
		FROM pg_database WHERE datname = $1`, name).Scan(&allowConn, &roleConnect))
	return allowConn, roleConnect
}

func (s *stack) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

func TestExpiredTrialIsSuspendedAndComesBackByChoosingAPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	body := signupBody("expiring")
	body["phone"] = "+14155550111"
	id, admin := s.signup(body)
	s.waitStatus(id, "trial")
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '2 seconds' WHERE id = $1`, id)
	require.NoError(t, err)

	assert.Equal(t, 1, s.sweep("trials"))
	assert.Equal(t, 0, s.sweep("trials"), "a tenant whose trial end is running is not started twice")
	tenant := s.waitStatus(id, "suspended")
	assert.Equal(t, "trial", tenant["plan_code"])
	s.waitAccess(id, false)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'trial_reminder' AND channel = 'email'`, id))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'trial_reminder' AND channel = 'sms'`, id))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 2, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'trial_expired'`, id))
	}, 20*time.Second, 50*time.Millisecond)

	// The admin is blocked but for what it takes to come back.
	code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit", admin, nil)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, "tenant_suspended", errorCode(out))
	code, _ = s.call(http.MethodGet, "/v1/me", admin, nil)
	assert.Equal(t, http.StatusOK, code)

	// A payment method alone does not end an expired trial's suspension; choosing a plan does.
	code, _ = s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "suspended", string(s.tenantRow(id).Status))
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "paid", out["invoice"].(map[string]any)["status"])
	assert.Equal(t, "active", string(s.tenantRow(id).Status))
	allow, connect := s.access(id)
	assert.True(t, allow)
	assert.True(t, connect)
	code, _ = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit", admin, nil)
	assert.Equal(t, http.StatusOK, code)
}

func TestTrialWithPaymentMethodConvertsToTheChosenPlan(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.signup(signupBody("converting"))
	s.waitStatus(id, "trial")
	s.setPaymentMethod(id, "pm_card_visa")
	code, _ := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "professional"})
	require.Equal(t, http.StatusOK, code)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() WHERE id = $1`, id)
	require.NoError(t, err)

	assert.Equal(t, 1, s.sweep("trials"))
	s.waitStatus(id, "active")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, s.count(`SELECT count(*) FROM invoices WHERE tenant_id = $1 AND status = 'paid' AND total_cents = 19900`, id))
	}, 20*time.Second, 50*time.Millisecond)
	tn := s.tenantRow(id)
	assert.Equal(t, "professional", tn.PlanCode)
	assert.Nil(t, tn.PendingPlanCode)
	assert.Equal(t, tn.TrialEndsAt.Truncate(time.Second).UTC(), tn.CurrentPeriodStart.UTC(), "the first period starts when the trial ended")
}

func TestRenewalDunningSuspensionAndReactivationOnPayment(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("dunned", "starter")
	s.setPaymentMethod(id, "pm_card_chargeDeclined")
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET current_period_start = now() - interval '1 month', current_period_end = now() WHERE id = $1`, id)
	require.NoError(t, err)

	assert.Equal(t, 1, s.sweep("renewals"))
	s.waitStatus(id, "past_due")
	// Dunning: the first attempt and the retries after 1 s and 2 s, each failed, each told.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 3, s.count(`SELECT count(*) FROM payments WHERE tenant_id = $1 AND status = 'failed'`, id))
		require.Equal(c, 3, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'payment_failed'`, id))
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, 0, s.sweep("renewals"), "the renewed period is not due again")

	// Grace over (4 s): the dunning sweep suspends.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, s.count(`SELECT count(*) FROM tenants WHERE id = $1 AND grace_until <= now()`, id))
	}, 10*time.Second, 100*time.Millisecond)
	assert.Equal(t, 1, s.sweep("dunning"))
	s.waitStatus(id, "suspended")
	assert.Equal(t, "payment_overdue", *s.tenantRow(id).SuspensionReason)
	s.waitAccess(id, false)

	// Paying brings it back at once, without a sweep.
	start := time.Now()
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "active", string(s.tenantRow(id).Status))
	assert.Less(t, time.Since(start), 10*time.Second)
	allow, connect := s.access(id)
	assert.True(t, allow)
	assert.True(t, connect)
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM invoices WHERE tenant_id = $1 AND status = 'open'`, id))
	code, _ = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit", admin, nil)
	assert.Equal(t, http.StatusOK, code)
}

func TestOperatorSuspensionEndsSessionsAndReactivationOpensAgain(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("paused", "starter")
	conn := s.tenantConn(t, tenantdb.Name(id))
	require.NoError(t, conn.Ping(t.Context()))

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "suspended", out["status"])
	assert.Error(t, conn.Ping(t.Context()), "the open session was ended")
	sessions, err := s.servers.Sessions(t.Context(), s.servers.Local(), tenantdb.Name(id))
	require.NoError(t, err)
	assert.Zero(t, sessions)
	_, err = s.servers.Connect(t.Context(), s.servers.Local(), tenantdb.Name(id))
	assert.Error(t, err, "no new connection, not even the administrator's")
	code, out = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit", admin, nil)
	assert.Equal(t, "tenant_suspended", errorCode(out))
	assert.Equal(t, http.StatusForbidden, code)

	// A payment does not lift an operator's suspension; the operator does.
	s.setPaymentMethod(id, "pm_card_visa")
	assert.Equal(t, "suspended", string(s.tenantRow(id).Status))
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "again"})
	assert.Equal(t, http.StatusConflict, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", admin, nil)
	assert.Equal(t, http.StatusForbidden, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "active", out["status"])
	s.tenantConn(t, tenantdb.Name(id))
	code, _ = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/audit", admin, nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'TENANT_SUSPENDED'`, id))
}

func TestOffboardingBacksUpVerifiesDropsAndArchives(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("leaving", "starter")
	conn := s.tenantConn(t, tenantdb.Name(id))
	_, err := conn.Exec(t.Context(), `INSERT INTO transactions (company_id, amount_cents, memo) SELECT id, 1234, 'kept' FROM companies`)
	require.NoError(t, err)
	conn.Close(t.Context())

	code, out := s.call(http.MethodDelete, "/v1/tenants/"+id.String()+"?reason=closing", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code, out)
	s.waitStatus(id, "cancelled")
	code, out = s.call(http.MethodGet, "/v1/me", admin, nil)
	assert.Equal(t, http.StatusForbidden, code, out)

	s.waitStatus(id, "archived")
	database, role, err := s.servers.Exists(t.Context(), s.servers.Local(), tenantdb.Name(id))
	require.NoError(t, err)
	assert.False(t, database)
	assert.False(t, role)
	code, out = s.call(http.MethodGet, "/v1/tenants/"+id.String()+"/backups", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	backups := out["backups"].([]any)
	require.Len(t, backups, 1)
	b := backups[0].(map[string]any)
	raw, err := os.ReadFile(b["path"].(string))
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	assert.Equal(t, hex.EncodeToString(sum[:]), b["sha256"])
	assert.Equal(t, float64(len(raw)), b["size_bytes"])
	assert.Equal(t, []string{"TENANT_CANCELLED", "BACKUP_TAKEN", "TENANT_ARCHIVED"}, s.actions(id, "TENANT_CANCELLED", "BACKUP_TAKEN", "TENANT_ARCHIVED"))
}

func TestCancelledTenantCanBeReactivatedBeforeRetentionEnds(t *testing.T) {
	t.Parallel()
	long := testPolicy
	long.Retention = time.Hour
	s := newStack(t, stackOptions{policy: &long})
	id, admin := s.createTenant("regretful", "starter")
	code, _ := s.call(http.MethodDelete, "/v1/tenants/"+id.String()+"?reason=closing", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	s.waitStatus(id, "cancelled")
	s.waitAccess(id, false)

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code, out)
	allow, connect := s.access(id)
	assert.True(t, allow)
	assert.True(t, connect)
	code, _ = s.call(http.MethodGet, "/v1/me", admin, nil)
	assert.Equal(t, http.StatusOK, code)
}

func TestPaymentDuringSuspensionEndsActive(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{delay: activities.StepDelay{"converge_access": 3 * time.Second}, workflowWait: 500 * time.Millisecond})
	id, admin := s.createTenant("racing-payer", "starter")
	inv := s.openInvoice(id, 4900)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET status = 'past_due', grace_until = now() - interval '1 second' WHERE id = $1`, id)
	require.NoError(t, err)

	assert.Equal(t, 1, s.sweep("dunning"))
	s.waitStatus(id, "suspended") // the status changed; the database is about to be closed
	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, code, out)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		desc, err := s.temporal.DescribeWorkflowExecution(t.Context(), "suspend/"+id.String(), "")
		require.NoError(c, err)
		require.NotNil(c, desc.WorkflowExecutionInfo.CloseTime, "suspension finished")
		require.Equal(c, 1, s.count(`SELECT count(*) FROM invoices WHERE id = $1 AND status = 'paid'`, inv.ID))
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, "active", string(s.tenantRow(id).Status))
	allow, connect := s.access(id)
	assert.True(t, allow, "the suspension's late database step follows the status as it is")
	assert.True(t, connect)
}

// waitAccess waits until the tenant database is open (or closed) to its role.
func (s *stack) waitAccess(id uuid.UUID, open bool) {
	s.t.Helper()
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		allow, connect := s.access(id)
		require.Equal(c, open, allow)
		require.Equal(c, open, connect)
	}, 60*time.Second, 50*time.Millisecond)
}

// actions lists, oldest first, the tenant's audit actions among those given.
func (s *stack) actions(id uuid.UUID, among ...string) []string {
	rows, err := s.db.Pool.Query(s.t.Context(), `SELECT action FROM audit_log WHERE tenant_id = $1 AND action = ANY($2) ORDER BY id`, id, among)
	require.NoError(s.t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(s.t, err)
	return out
}

func TestSuspendedTrialComesBackAsATrialAndEndsAtOnceIfItsTimeIsUp(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.signup(signupBody("comeback-trial"))
	ends := s.waitStatus(id, "trial")["trial_ends_at"]

	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "trial", out["status"], "a suspended trial is not a paid tenant on the trial plan")
	assert.Equal(t, "trial", out["plan_code"])
	assert.Equal(t, ends, out["trial_ends_at"])
	s.waitAccess(id, true)

	// Away past its trial end, it comes back a trial whose end runs at once: no payment method, so it is suspended again.
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() - interval '1 second' WHERE id = $1`, id)
	require.NoError(t, err)
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code, out)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		tn := s.tenantRow(id)
		require.Equal(c, "suspended", string(tn.Status))
		require.Equal(c, "trial_expired", *tn.SuspensionReason)
	}, 30*time.Second, 50*time.Millisecond)
	s.waitAccess(id, false)
}

func TestTheDunningSweepNeverOffboardsAnOperatorsSuspension(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	held, _ := s.createTenant("legal-hold", "starter")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+held.String()+"/suspend", s.operator, map[string]any{"reason": "legal hold"})
	require.Equal(t, http.StatusOK, code, out)
	unpaid, _ := s.createTenant("never-paid", "starter")
	s.openInvoice(unpaid, 4900)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET status = 'past_due', grace_until = now() - interval '1 second' WHERE id = $1`, unpaid)
	require.NoError(t, err)
	assert.Equal(t, 1, s.sweep("dunning"))
	s.waitStatus(unpaid, "suspended")

	// Both suspended longer ago than the policy's offboarding age: only the unpaid one is offboarded.
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET suspended_at = now() - interval '2 hours' WHERE id = ANY($1)`, []uuid.UUID{held, unpaid})
	require.NoError(t, err)
	assert.Equal(t, 1, s.sweep("dunning"))
	_, err = s.temporal.DescribeWorkflowExecution(t.Context(), "offboarding/"+unpaid.String(), "")
	assert.NoError(t, err)
	_, err = s.temporal.DescribeWorkflowExecution(t.Context(), "offboarding/"+held.String(), "")
	assert.Error(t, err, "no offboarding for the legal hold")
	assert.Equal(t, "suspended", string(s.tenantRow(held).Status))
}

func TestDeleteAfterAReactivationReallyCancels(t *testing.T) {
	t.Parallel()
	long := testPolicy
	long.Retention = time.Hour
	s := newStack(t, stackOptions{policy: &long})
	id, _ := s.createTenant("second-thoughts", "starter")
	code, _ := s.call(http.MethodDelete, "/v1/tenants/"+id.String()+"?reason=closing", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	s.waitStatus(id, "cancelled")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/reactivate", s.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "active", out["status"])

	// The first offboarding still sleeps through its retention; a new DELETE does not join it.
	code, _ = s.call(http.MethodDelete, "/v1/tenants/"+id.String()+"?reason=closing", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	s.waitStatus(id, "cancelled")
	s.waitAccess(id, false)
}

func TestTheRenewalSweepResumesACollectionThatStopped(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.createTenant("stalled-collection", "starter")
	s.setPaymentMethod(id, "pm_card_visa")
	// A renewal started the next period and wrote its invoice, then stopped (its
	// workflow failed or was terminated) before the invoice was finalized.
	var end time.Time
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `UPDATE tenants SET current_period_start = now() - interval '1 month',
		current_period_end = date_trunc('second', now()) WHERE id = $1 RETURNING current_period_end`, id).Scan(&end))
	life := &activities.Lifecycle{Pool: s.db.Pool}
	p, err := life.StartPeriod(t.Context(), activities.PeriodInput{TenantID: id, ExpectedEnd: &end, Now: time.Now(), Actor: "test"})
	require.NoError(t, err)
	require.Equal(t, "draft", p.Invoice.Status)
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE invoices SET created_at = now() - interval '1 hour' WHERE id = $1`, p.Invoice.ID)
	require.NoError(t, err)

	assert.Equal(t, 1, s.sweep("renewals"), "the period is not due, but its invoice was never collected")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, s.count(`SELECT count(*) FROM invoices WHERE id = $1 AND status = 'paid'`, p.Invoice.ID))
	}, 30*time.Second, 50*time.Millisecond)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM payments WHERE invoice_id = $1 AND status = 'succeeded'`, p.Invoice.ID))
	assert.Equal(t, 0, s.sweep("renewals"), "a collected invoice is not resumed again")
}

func TestADraftLeftBehindDoesNotKeepAPayingTenantSuspended(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("draft-owed", "starter")
	b := &activities.Billing{Pool: s.db.Pool, Provider: billing.Local{}}
	draft, err := b.CreateInvoice(t.Context(), activities.InvoiceInput{TenantID: id, Key: "period/" + id.String() + "/test", Currency: "USD",
		Lines: []billing.Line{{Description: "Starter (monthly)", AmountCents: 4900}}, Now: time.Now()})
	require.NoError(t, err)
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET status = 'past_due', grace_until = now() - interval '1 second' WHERE id = $1`, id)
	require.NoError(t, err)
	assert.Equal(t, 1, s.sweep("dunning"))
	s.waitStatus(id, "suspended")

	code, out := s.call(http.MethodPut, "/v1/tenants/"+id.String()+"/payment-method", admin, map[string]any{"payment_method": "pm_card_visa"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM invoices WHERE id = $1 AND status = 'paid'`, draft.ID), "the draft is finalized and paid")
	assert.Equal(t, "active", string(s.tenantRow(id).Status))
	s.waitAccess(id, true)
}

// sweepSeen runs a sweep now and returns how many tenants it paged and how many workflows it started.
func (s *stack) sweepSeen(name string) (seen, started int) {
	s.t.Helper()
	code, out := s.call(http.MethodPost, "/v1/sweeps/"+name, s.operator, nil)
	require.Equal(s.t, http.StatusOK, code, out)
	return int(out["seen"].(float64)), int(out["started"].(float64))
}

func TestTheTrialSweepPagesOnlyWhatIsNewlyDue(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	var trials []uuid.UUID
	for _, sub := range []string{"window-a", "window-b", "window-c"} {
		id, _ := s.signup(signupBody(sub))
		s.waitStatus(id, "trial")
		trials = append(trials, id)
	}
	// All three end within the reminder lead (an hour in the test calendar).
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '30 minutes' WHERE id = ANY($1)`, trials)
	require.NoError(t, err)
	seen, started := s.sweepSeen("trials")
	assert.Equal(t, []int{3, 3}, []int{seen, started})
	seen, started = s.sweepSeen("trials")
	assert.Equal(t, []int{0, 0}, []int{seen, started}, "trial ends already running are not paged again")

	// An extended trial is paged once more; its trial end, still running, follows it.
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '40 minutes' WHERE id = $1`, trials[0])
	require.NoError(t, err)
	seen, started = s.sweepSeen("trials")
	assert.Equal(t, []int{1, 0}, []int{seen, started})

	// A trial end that stopped (terminated here) is started again once the trial is overdue.
	require.NoError(t, s.temporal.TerminateWorkflow(t.Context(), "trial-end/"+trials[1].String(), "", "test: a trial end that stopped"))
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() - interval '20 minutes',
		trial_end_started_for = now() - interval '20 minutes' WHERE id = $1`, trials[1])
	require.NoError(t, err)
	seen, started = s.sweepSeen("trials")
	assert.Equal(t, []int{1, 1}, []int{seen, started})
	s.waitStatus(trials[1], "suspended")
}

func TestARenewalNeverAppliesADowngradeTheTenantHasOutgrown(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("outgrown", "professional")
	s.setPaymentMethod(id, "pm_card_visa")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, out)
	require.Equal(t, true, out["change"].(map[string]any)["scheduled"])
	// After scheduling, the tenant grows past what starter allows.
	for _, c := range []string{"second", "third"} {
		code, out = s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": c, "name": c})
		require.Equal(t, http.StatusCreated, code, out)
	}
	end := s.endPeriod(id)

	assert.Equal(t, 1, s.sweep("renewals"))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, 1, s.count(`SELECT count(*) FROM invoices WHERE tenant_id = $1 AND period_start = $2 AND status = 'paid'`, id, end))
		require.Equal(c, 1, s.count(`SELECT count(*) FROM notifications WHERE tenant_id = $1 AND template = 'plan_change_not_applied'`, id))
	}, 30*time.Second, 50*time.Millisecond)
	tn := s.tenantRow(id)
	assert.Equal(t, "professional", tn.PlanCode, "the renewal keeps the plan the tenant fits")
	assert.Equal(t, int32(3), tn.MaxCompanies)
	assert.Nil(t, tn.PendingPlanCode, "the downgrade is dropped, and the admin told why")
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM invoices WHERE tenant_id = $1 AND period_start = $2 AND total_cents = 19900`, id, end))
	assert.Equal(t, []string{"PLAN_CHANGE_NOT_APPLIED"}, s.actions(id, "PLAN_CHANGE_NOT_APPLIED"))
}

func TestCompaniesRacingARenewalsDowngradeNeverEndOverTheLimit(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("racing-downgrade", "professional")
	s.setPaymentMethod(id, "pm_card_visa")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/plan", admin, map[string]any{"plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, out)
	s.endPeriod(id)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 6 {
			s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": fmt.Sprintf("racer%d", i), "name": "Racer"})
		}
	}()
	assert.Equal(t, 1, s.sweep("renewals"))
	<-done
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Nil(c, s.tenantRow(id).PendingPlanCode, "the renewal ran")
	}, 30*time.Second, 50*time.Millisecond)
	conn := s.tenantConn(t, tenantdb.Name(id))
	var companies int32
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM companies`).Scan(&companies))
	assert.LessOrEqual(t, companies, s.tenantRow(id).MaxCompanies, "whichever won, the tenant is within its plan")
}
