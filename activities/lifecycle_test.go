package activities_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/token"
)

// onboarded registers a tenant on plan and finishes its onboarding (without a database).
func onboarded(t *testing.T, d *testenv.DB, sub, plan string) uuid.UUID {
	t.Helper()
	a := &activities.Tenants{Pool: d.Pool}
	in := registerInput(sub)
	in.PlanCode = plan
	_, err := a.Register(t.Context(), in)
	require.NoError(t, err)
	_, err = a.Activate(t.Context(), activities.ActivateInput{TenantID: in.TenantID, Now: time.Now(), Actor: "test"})
	require.NoError(t, err)
	return in.TenantID
}

// operatorActor is the actor of a new operator token: what the API passes for an operator.
func operatorActor(t *testing.T, d *testenv.DB) string {
	t.Helper()
	_, hash, prefix := token.New(token.RoleOperator)
	id, err := db.New(d.Pool).APITokenInsert(t.Context(), db.APITokenInsertParams{TokenHash: hash, Prefix: prefix, Role: token.RoleOperator, Name: "test", CreatedBy: "test"})
	require.NoError(t, err)
	return "operator:" + id.String()
}

func tenantRow(t *testing.T, d *testenv.DB, id uuid.UUID) db.Tenant {
	t.Helper()
	tn, err := db.New(d.Pool).TenantGet(t.Context(), id)
	require.NoError(t, err)
	return tn
}

func TestTheDatabaseHoldsTheLifecycleTable(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	rows, err := db.New(d.Pool).TenantListTransitions(t.Context())
	require.NoError(t, err)
	var inDB []lifecycle.Pair
	for _, r := range rows {
		inDB = append(inDB, lifecycle.Pair{From: r.FromStatus, To: r.ToStatus})
	}
	assert.ElementsMatch(t, lifecycle.Pairs(), inDB, "migrations and the lifecycle package list the same moves")

	// A move the table lacks is refused by the database, whoever writes it.
	id := onboarded(t, d, "jumper", "trial")
	_, err = d.Pool.Exec(t.Context(), `UPDATE tenants SET status = 'archived' WHERE id = $1`, id)
	assert.ErrorContains(t, err, "status trial cannot become archived")
	_, err = d.Pool.Exec(t.Context(), `UPDATE tenants SET status = 'past_due' WHERE id = $1`, id)
	assert.ErrorContains(t, err, "status trial cannot become past_due")
	assert.Equal(t, lifecycle.Trial, tenantRow(t, d, id).Status)
}

func TestReactivatedTrialIsATrialAgain(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	op := operatorActor(t, d)
	life := &activities.Lifecycle{Pool: d.Pool}
	ctx := t.Context()
	id := onboarded(t, d, "triallist", "trial")
	ends := tenantRow(t, d, id).TrialEndsAt

	ok, err := life.Suspend(ctx, activities.SuspendInput{TenantID: id, Reason: "fraud review", Actor: op, Now: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	r, err := life.Reactivate(ctx, activities.ReactivateInput{TenantID: id, Actor: op, Force: true, Now: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, activities.Reactivation{Reactivated: true, From: lifecycle.Suspended, To: lifecycle.Trial}, r)
	tn := tenantRow(t, d, id)
	assert.Equal(t, lifecycle.Trial, tn.Status, "not a paid tenant on the trial plan")
	assert.Equal(t, "trial", tn.PlanCode)
	assert.Equal(t, ends, tn.TrialEndsAt, "with its trial end")

	// Back after its trial end passed: its trial end is due at once.
	ok, err = life.Suspend(ctx, activities.SuspendInput{TenantID: id, Reason: "fraud review", Actor: op, Now: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	r, err = life.Reactivate(ctx, activities.ReactivateInput{TenantID: id, Actor: op, Force: true, Now: ends.Add(time.Second)})
	require.NoError(t, err)
	assert.True(t, r.TrialOver)
	assert.Equal(t, lifecycle.Trial, r.To)

	// A cancelled trial comes back a trial as well.
	ok, err = life.Cancel(ctx, activities.CancelInput{TenantID: id, Reason: lifecycle.OffboardRequested, Actor: op})
	require.NoError(t, err)
	require.True(t, ok)
	r, err = life.Reactivate(ctx, activities.ReactivateInput{TenantID: id, Actor: op, Force: true, Now: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Trial, r.To)
}

func TestTheCalendarCancelsOnlyTheUnpaidSuspensionItFound(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	op := operatorActor(t, d)
	life := &activities.Lifecycle{Pool: d.Pool}
	ctx := t.Context()

	// An operator's suspension is never cancelled by the calendar.
	held := onboarded(t, d, "legalhold", "starter")
	ok, err := life.Suspend(ctx, activities.SuspendInput{TenantID: held, Reason: "legal hold", Actor: op, Now: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	since := tenantRow(t, d, held).SuspendedAt
	ok, err = life.Cancel(ctx, activities.CancelInput{TenantID: held, Reason: lifecycle.OffboardUnpaid, SuspendedAt: since, Actor: "test"})
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, lifecycle.Suspended, tenantRow(t, d, held).Status)

	// A tenant that paid after the sweep found it is not cancelled either.
	payer := onboarded(t, d, "latepayer", "starter")
	found := time.Now().Add(-time.Hour)
	ok, err = life.Cancel(ctx, activities.CancelInput{TenantID: payer, Reason: lifecycle.OffboardUnpaid, SuspendedAt: &found, Actor: "test"})
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, lifecycle.Active, tenantRow(t, d, payer).Status)

	// The unpaid suspension it found is cancelled, once.
	_, err = d.Pool.Exec(ctx, `UPDATE tenants SET status = 'past_due', grace_until = now() - interval '1 second' WHERE id = $1`, payer)
	require.NoError(t, err)
	_, err = d.Pool.Exec(ctx, `INSERT INTO invoices (id, number, tenant_id, status, currency, subtotal_cents, total_cents, idempotency_key)
		VALUES (gen_random_uuid(), 'INV-TEST-1', $1, 'open', 'USD', 4900, 4900, 'test/open')`, payer)
	require.NoError(t, err)
	ok, err = life.Suspend(ctx, activities.SuspendInput{TenantID: payer, Reason: lifecycle.ReasonPaymentOverdue, Actor: "test", Now: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	since = tenantRow(t, d, payer).SuspendedAt
	for i := range 2 {
		ok, err = life.Cancel(ctx, activities.CancelInput{TenantID: payer, Reason: lifecycle.OffboardUnpaid, SuspendedAt: since, Actor: "test"})
		require.NoError(t, err)
		assert.Equal(t, i == 0, ok)
	}
	tn := tenantRow(t, d, payer)
	assert.Equal(t, lifecycle.Cancelled, tn.Status)
	assert.Equal(t, since, tn.SuspendedAt, "a cancelled tenant keeps when it was suspended")
	assert.Equal(t, lifecycle.Active, *tn.ResumeStatus)
}

func TestNothingComesBackOnceArchivingBegan(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	op := operatorActor(t, d)
	life := &activities.Lifecycle{Pool: d.Pool}
	ctx := t.Context()
	id := onboarded(t, d, "goingaway", "starter")
	ok, err := life.Cancel(ctx, activities.CancelInput{TenantID: id, Reason: lifecycle.OffboardRequested, Actor: op})
	require.NoError(t, err)
	require.True(t, ok)

	// Backup begins archiving under the row lock (the tenant has no database
	// here, so there is nothing to dump); from then on reactivation refuses.
	archiving, err := life.Backup(ctx, id)
	require.NoError(t, err)
	assert.True(t, archiving)
	assert.Equal(t, lifecycle.Archiving, tenantRow(t, d, id).Status)
	r, err := life.Reactivate(ctx, activities.ReactivateInput{TenantID: id, Actor: op, Force: true, Now: time.Now()})
	require.NoError(t, err)
	assert.False(t, r.Reactivated)
	assert.Equal(t, lifecycle.Archiving, tenantRow(t, d, id).Status)

	// A tenant reactivated before archiving began is never archived.
	back := onboarded(t, d, "cameback", "starter")
	_, err = life.Cancel(ctx, activities.CancelInput{TenantID: back, Reason: lifecycle.OffboardRequested, Actor: op})
	require.NoError(t, err)
	r, err = life.Reactivate(ctx, activities.ReactivateInput{TenantID: back, Actor: op, Force: true, Now: time.Now()})
	require.NoError(t, err)
	require.True(t, r.Reactivated)
	archiving, err = life.Backup(ctx, back)
	require.NoError(t, err)
	assert.False(t, archiving)
	require.NoError(t, life.Archive(ctx, back))
	assert.Equal(t, lifecycle.Active, tenantRow(t, d, back).Status)

	rows, err := d.Pool.Query(ctx, `SELECT to_status FROM tenant_status_history WHERE tenant_id = $1 ORDER BY id`, id)
	require.NoError(t, err)
	history, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"provisioning", "active", "cancelled", "archiving"}, history)
}

func TestAPlanChangeAndARenewalNeverStraddle(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	op := operatorActor(t, d)
	life := &activities.Lifecycle{Pool: d.Pool}
	plans := &activities.Plans{Pool: d.Pool}
	ctx := t.Context()
	end := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	endPeriod := func(id uuid.UUID) {
		_, err := d.Pool.Exec(ctx, `UPDATE tenants SET current_period_start = $2, current_period_end = $3 WHERE id = $1`, id, end.AddDate(0, -1, 0), end)
		require.NoError(t, err)
	}
	quote := func(id uuid.UUID) activities.Quote {
		qt, err := plans.Quote(ctx, activities.QuoteInput{TenantID: id, PlanCode: "professional", Effective: activities.EffectiveImmediate, Now: end.Add(-10 * 24 * time.Hour), Actor: op})
		require.NoError(t, err)
		return qt
	}

	// The change holds the tenant's billing: the renewal waits for it, then renews on the new plan.
	id := onboarded(t, d, "heldrenewal", "starter")
	endPeriod(id)
	qt := quote(id)
	key := "plan-change/" + id.String() + "/run"
	require.NoError(t, plans.Hold(ctx, activities.HoldInput{TenantID: id, Version: qt.Version, Key: key, Until: time.Now().Add(time.Hour)}))
	renew := activities.PeriodInput{TenantID: id, ExpectedEnd: &end, Now: time.Now(), Actor: "test"}
	_, err := life.StartPeriod(ctx, renew)
	require.ErrorIs(t, err, activities.ErrBillingHeld)
	require.NoError(t, plans.Apply(ctx, activities.ApplyInput{TenantID: id, Quote: qt, Key: key, Actor: "test"}))
	require.NoError(t, plans.Apply(ctx, activities.ApplyInput{TenantID: id, Quote: qt, Key: key, Actor: "test"}), "a rerun changes nothing")
	p, err := life.StartPeriod(ctx, renew)
	require.NoError(t, err)
	assert.Equal(t, "professional", p.Plan)
	assert.Equal(t, end, p.Start.UTC())
	tn := tenantRow(t, d, id)
	assert.Equal(t, end.AddDate(0, 1, 0), tn.CurrentPeriodEnd.UTC(), "the renewal's period stands")

	// A renewal that lands between the quote and the hold: the change is refused, the period kept.
	other := onboarded(t, d, "renewedfirst", "starter")
	endPeriod(other)
	qt = quote(other)
	_, err = life.StartPeriod(ctx, activities.PeriodInput{TenantID: other, ExpectedEnd: &end, Now: time.Now(), Actor: "test"})
	require.NoError(t, err)
	err = plans.Hold(ctx, activities.HoldInput{TenantID: other, Version: qt.Version, Key: "plan-change/other", Until: time.Now().Add(time.Hour)})
	assert.Equal(t, activities.ErrConflict, errType(err))
	err = plans.Apply(ctx, activities.ApplyInput{TenantID: other, Quote: qt, Key: "plan-change/other", Actor: "test"})
	assert.Equal(t, activities.ErrConflict, errType(err), "nothing is applied without the hold")
	tn = tenantRow(t, d, other)
	assert.Equal(t, "starter", tn.PlanCode)
	assert.Equal(t, end.AddDate(0, 1, 0), tn.CurrentPeriodEnd.UTC(), "the old period is not written back")
}
