package e2e

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/workflows"
)

var record = flag.Bool("record", false, "record workflow histories into workflows/testdata (go test ./e2e -run TestRecordHistories -args -record)")

// TestRecordHistories drives every workflow type through its branches on the
// real stack, payloads sealed as in production, and writes each history
// (finished, or paused in the middle of a long sleep) to workflows/testdata,
// where the replay test reads them. It runs only when asked to.
func TestRecordHistories(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -args -record")
	}
	fast := newStack(t, stackOptions{})
	days := workflows.DefaultPolicy()
	slow := newStack(t, stackOptions{policy: &days})

	// Plan changes: charged then granted, declined, scheduled.
	up, _ := fast.createTenant("rec-upgrade", "starter")
	fast.setPaymentMethod(up, "pm_card_visa")
	fast.midPeriod(up)
	code, out := fast.call(http.MethodPost, "/v1/tenants/"+up.String()+"/plan", fast.operator, map[string]any{"reason": "asked by the customer", "plan_code": "professional"})
	require.Equal(t, http.StatusOK, code, out)
	fast.save("change_plan_charged_then_granted", workflows.ChangePlanWorkflowID(up))
	code, out = fast.call(http.MethodPost, "/v1/tenants/"+up.String()+"/plan", fast.operator, map[string]any{"reason": "asked by the customer", "plan_code": "starter"})
	require.Equal(t, http.StatusOK, code, out)
	fast.save("change_plan_scheduled", workflows.ChangePlanWorkflowID(up))
	declined, _ := fast.createTenant("rec-declined", "starter")
	fast.setPaymentMethod(declined, "pm_card_chargeDeclined")
	code, out = fast.call(http.MethodPost, "/v1/tenants/"+declined.String()+"/plan", fast.operator, map[string]any{"reason": "asked by the customer", "plan_code": "enterprise"})
	require.Equal(t, http.StatusPaymentRequired, code, out)
	fast.save("change_plan_rejected", workflows.ChangePlanWorkflowID(declined))

	// A payment method that pays what is owed, and a Stripe event.
	owing, _ := fast.createTenant("rec-owing", "starter")
	fast.openInvoice(owing, 4900)
	fast.setPaymentMethod(owing, "pm_card_visa")
	fast.save("update_payment_method_pays", workflows.UpdatePaymentMethodWorkflowID(owing))
	hooked, _ := fast.createTenant("rec-hooked", "starter")
	inv, err := db.New(fast.db.Pool).InvoiceGet(t.Context(), fast.openInvoice(hooked, 4900).ID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, fast.postWebhook("evt_record_paid", "invoice.paid", *inv.ProviderInvoiceID, webhookSecret, time.Now()))
	fast.saveDone("stripe_event_paid", workflows.StripeEventWorkflowID("evt_record_paid"))

	// Suspension and reactivation by an operator.
	paused, _ := fast.createTenant("rec-paused", "starter")
	code, out = fast.call(http.MethodPost, "/v1/tenants/"+paused.String()+"/suspend", fast.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	fast.save("suspend_operator", workflows.SuspendWorkflowID(paused))
	code, out = fast.call(http.MethodPost, "/v1/tenants/"+paused.String()+"/reactivate", fast.operator, map[string]any{"reason": "back in after review"})
	require.Equal(t, http.StatusOK, code, out)
	fast.save("reactivate_operator", workflows.ReactivateWorkflowID(paused))

	// A trial that ends unpaid, found by a sweep.
	expiring, _ := fast.signup(signupBody("rec-expiring"))
	fast.waitStatus(expiring, "trial")
	_, err = fast.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '2 seconds' WHERE id = $1`, expiring)
	require.NoError(t, err)
	require.Equal(t, 1, fast.sweep("trials"))
	fast.waitStatus(expiring, "suspended")
	fast.saveDone("trial_end_suspended", workflows.TrialEndWorkflowID(expiring))
	fast.saveDone("sweep_trials", workflows.SweepWorkflowID(workflows.SweepTrials, fast.taskQueue))

	// A renewal declined through all of dunning, and an offboarding to the end.
	dunned, _ := fast.createTenant("rec-dunned", "starter")
	fast.setPaymentMethod(dunned, "pm_card_chargeDeclined")
	end := fast.endPeriod(dunned)
	require.Equal(t, 1, fast.sweep("renewals"))
	fast.saveDone("renewal_dunning_exhausted", workflows.RenewalWorkflowID(dunned, end))
	leaving, _ := fast.createTenant("rec-leaving", "starter")
	code, _ = fast.call(http.MethodDelete, "/v1/tenants/"+leaving.String()+"?reason=closing", fast.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	fast.waitStatus(leaving, "archived")
	fast.saveDone("offboarding_archived", workflows.OffboardingWorkflowID(leaving))

	// Runs paused in the middle of their long sleeps, on the calendar in days.
	reminded, _ := slow.signup(signupBody("rec-reminded"))
	slow.waitStatus(reminded, "trial")
	_, err = slow.db.Pool.Exec(t.Context(), `UPDATE tenants SET trial_ends_at = now() + interval '2 days' WHERE id = $1`, reminded)
	require.NoError(t, err)
	require.Equal(t, 1, slow.sweep("trials"))
	slow.saveSleeping("trial_end_reminded_waiting", workflows.TrialEndWorkflowID(reminded))
	waiting, _ := slow.createTenant("rec-dunning", "starter")
	slow.setPaymentMethod(waiting, "pm_card_chargeDeclined")
	end = slow.endPeriod(waiting)
	require.Equal(t, 1, slow.sweep("renewals"))
	slow.saveSleeping("renewal_dunning_waiting", workflows.RenewalWorkflowID(waiting, end))
	kept, _ := slow.createTenant("rec-retention", "starter")
	code, _ = slow.call(http.MethodDelete, "/v1/tenants/"+kept.String()+"?reason=closing", slow.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	slow.saveSleeping("offboarding_retention_waiting", workflows.OffboardingWorkflowID(kept))
	unpaid, _ := slow.createTenant("rec-unpaid", "starter")
	slow.openInvoice(unpaid, 4900)
	_, err = slow.db.Pool.Exec(t.Context(), `UPDATE tenants SET status = 'past_due', grace_until = now() - interval '1 second' WHERE id = $1`, unpaid)
	require.NoError(t, err)
	require.Equal(t, 1, slow.sweep("dunning"))
	slow.waitStatus(unpaid, "suspended")
	_, err = slow.db.Pool.Exec(t.Context(), `UPDATE tenants SET suspended_at = now() - interval '30 days' WHERE id = $1`, unpaid)
	require.NoError(t, err)
	require.Equal(t, 1, slow.sweep("dunning"))
	slow.saveSleeping("offboarding_unpaid_warning_waiting", workflows.OffboardingWorkflowID(unpaid))
}

// TestRecordBulkHistory records a bulk operation: two tenants suspended, one
// skipped. Separate from TestRecordHistories so the older recordings stay as
// their code wrote them (go test ./e2e -run TestRecordBulkHistory -args -record).
func TestRecordBulkHistory(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -args -record")
	}
	s := newStack(t, stackOptions{})
	a, _ := s.createTenant("rec-bulk-a", "starter")
	b, _ := s.createTenant("rec-bulk-b", "trial")
	held, _ := s.createTenant("rec-bulk-held", "starter")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+held.String()+"/suspend", s.operator, map[string]any{"reason": "earlier"})
	require.Equal(t, http.StatusOK, code, out)
	code, out = s.call(http.MethodPost, "/v1/bulk-operations", s.operator, map[string]any{"action": "suspend",
		"tenant_ids": []uuid.UUID{a, b, held}, "reason": "recorded"})
	require.Equal(t, http.StatusAccepted, code, out)
	s.saveDone("bulk_suspend", out["workflow_id"].(string))
}

// TestRecordOnboardingHistories records onboardings that run in one workflow
// task, registered by the API, from the pool and without it, the warm pool's
// refill, and a trial sweep that starts an onboarding whose start was lost,
// with that onboarding (go test ./e2e -run TestRecordOnboardingHistories
// -args -record). The histories of earlier onboardings (onboarding_local_first,
// onboarding_trial, onboarding_warm, onboarding_rejected and older) stay as
// they were recorded: runs of them may still be replayed.
func TestRecordOnboardingHistories(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -args -record")
	}
	s := newStack(t, stackOptions{})
	id, _ := s.signup(signupBody("rec-signup"))
	s.waitStatus(id, "trial")
	s.save("onboarding_registered", workflows.OnboardingWorkflowID(id))

	s.fillWarmPool(2)
	s.saveDone("warm_pool_refill", "warm-pool/"+s.taskQueue)
	warm, _ := s.signup(signupBody("rec-warm"))
	s.waitStatus(warm, "trial")
	s.save("onboarding_registered_warm", workflows.OnboardingWorkflowID(warm))

	lost, _ := s.registerOnly("rec-lost")
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE tenants SET created_at = now() - interval '3 minutes' WHERE id = $1`, lost)
	require.NoError(t, err)
	require.Equal(t, 1, s.sweep("trials"))
	s.waitStatus(lost, "trial")
	s.saveDone("sweep_trials_lost_onboarding", workflows.SweepWorkflowID(workflows.SweepTrials, s.taskQueue))
	s.save("onboarding_started_by_sweep", workflows.OnboardingWorkflowID(lost))
}

// TestRecordFleetHistory records a fleet migration that pauses at a failing
// tenant, is resumed and finishes (go test ./e2e -run TestRecordFleetHistory -args -record).
func TestRecordFleetHistory(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -args -record")
	}
	s := newStack(t, stackOptions{tenantMigrations: withMigration(t, regionsFile, regionMigration)})
	s.createTenant("rec-fleet-fine", "starter")
	_, admin := s.createTenant("rec-fleet-broken", "professional")
	code, out := s.call(http.MethodPost, "/v1/companies", admin, map[string]any{"code": "long", "name": strings.Repeat("A very long company name ", 3)})
	require.Equal(t, http.StatusCreated, code, out)
	code, out = s.call(http.MethodPost, "/v1/fleet/migrations", s.operator, map[string]any{"canary": 1})
	require.Equal(t, http.StatusAccepted, code, out)
	id := uuid.MustParse(out["id"].(string))
	path := "/v1/fleet/migrations/" + id.String()
	s.fleetStatus(path, "paused")
	code, out = s.call(http.MethodPost, path+"/resume", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code, out)
	s.fleetStatus(path, "failed", "completed")
	s.saveDone("fleet_migration_paused_resumed", workflows.FleetMigrationWorkflowID(id))
}

// TestRecordMoveHistory records a tenant's move to a second server, to the
// old copy's drop (go test ./e2e -run TestRecordMoveHistory -args -record).
func TestRecordMoveHistory(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -args -record")
	}
	second := testenv.StartTLSPostgres(t)
	s := newStack(t, stackOptions{tenantDBRoots: second.Roots, moveDropAfter: time.Second})
	id, _ := s.createTenant("rec-mover", "starter")
	s.registerServer("second", second)
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "second", "reason": "recorded"})
	require.Equal(t, http.StatusAccepted, code, out)
	s.saveDone("move_to_second_server", workflows.MoveWorkflowID(id))
	var local uuid.UUID
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT id FROM database_servers WHERE name = 'local'`).Scan(&local))
	d, err := s.temporal.DescribeWorkflowExecution(t.Context(), workflows.MoveWorkflowID(id), "")
	require.NoError(t, err)
	s.saveDone("drop_old_copy", workflows.DropOldCopyWorkflowID(id, local, d.WorkflowExecutionInfo.Execution.RunId))

	s.createTenant("rec-drained", "starter")
	code, out = s.call(http.MethodPost, "/v1/database-servers/"+local.String()+"/drain", s.operator, map[string]any{"reason": "recorded"})
	require.Equal(t, http.StatusAccepted, code, out)
	s.saveDone("drain_server", workflows.DrainWorkflowID(local))
}

// endPeriod ends the tenant's current period now and returns its end.
func (s *stack) endPeriod(id uuid.UUID) time.Time {
	s.t.Helper()
	var end time.Time
	require.NoError(s.t, s.db.Pool.QueryRow(s.t.Context(), `UPDATE tenants SET current_period_start = date_trunc('second', now()) - interval '1 month',
		current_period_end = date_trunc('second', now()) WHERE id = $1 RETURNING current_period_end`, id).Scan(&end))
	return end
}

// history is a workflow's latest run's history.
func (s *stack) history(wfID string) *historypb.History {
	s.t.Helper()
	h := &historypb.History{}
	it := s.temporal.GetWorkflowHistory(s.t.Context(), wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(s.t, err)
		h.Events = append(h.Events, e)
	}
	return h
}

// saveDone writes the history once the workflow has closed.
func (s *stack) saveDone(name, wfID string) {
	s.t.Helper()
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		d, err := s.temporal.DescribeWorkflowExecution(s.t.Context(), wfID, "")
		require.NoError(c, err)
		require.NotNil(c, d.WorkflowExecutionInfo.CloseTime)
	}, 60*time.Second, 100*time.Millisecond)
	s.save(name, wfID)
}

// saveSleeping writes the history once the workflow's last word was to start a timer.
func (s *stack) saveSleeping(name, wfID string) {
	s.t.Helper()
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		h := s.history(wfID)
		require.NotEmpty(c, h.Events)
		require.Equal(c, enumspb.EVENT_TYPE_TIMER_STARTED, h.Events[len(h.Events)-1].EventType, "sleeping")
	}, 60*time.Second, 100*time.Millisecond)
	s.save(name, wfID)
}

// save writes the workflow's history as workflows/testdata/<name>.json.
func (s *stack) save(name, wfID string) {
	s.t.Helper()
	raw, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(s.history(wfID))
	require.NoError(s.t, err)
	path := filepath.Join(testenv.RepoRoot(), "workflows", "testdata", name+".json")
	require.NoError(s.t, os.WriteFile(path, append(raw, '\n'), 0o644))
	s.t.Logf("recorded %s (%s)", path, wfID)
}
