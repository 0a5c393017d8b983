package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/testenv"
	"github.com/landlordhq/landlord/token"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func registerInput(sub string) activities.RegisterInput {
	_, hash, prefix := token.New(token.RoleTenantAdmin)
	return activities.RegisterInput{TenantID: uuid.New(), TenantCode: sub, Name: "Acme", Subdomain: sub,
		AdminEmail: "ana@example.com", AdminName: "Ana", PlanCode: "trial", BillingCycle: "monthly",
		AdminTokenHash: hash, AdminTokenPrefix: prefix, Actor: "test"}
}

func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func TestRegisterIsIdempotentAndRefusesTakenNames(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	a := &activities.Tenants{Pool: d.Pool}
	ctx := context.Background()
	in := registerInput("acme")
	for range 2 {
		res, err := a.Register(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, 14, res.TrialDays)
	}
	var tenants, history, audits, tokens int
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM tenant_status_history),
		(SELECT count(*) FROM audit_log), (SELECT count(*) FROM api_tokens)`).Scan(&tenants, &history, &audits, &tokens))
	assert.Equal(t, []int{1, 1, 2, 1}, []int{tenants, history, audits, tokens}, "audited: the registration and the admin token's minting, once each")

	other := registerInput("acme")
	_, err := a.Register(ctx, other)
	assert.Equal(t, activities.ErrConflict, errType(err))
	other = registerInput("acme2")
	other.TenantCode = "acme"
	_, err = a.Register(ctx, other)
	assert.Equal(t, activities.ErrConflict, errType(err))
	assert.ErrorContains(t, err, "tenant_code")
	other = registerInput("acme3")
	other.PlanCode = "gold"
	_, err = a.Register(ctx, other)
	assert.Equal(t, activities.ErrInvalidInput, errType(err))
}

func TestPlaceChoosesTheEmptiestServerAndKeepsItsChoice(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	a := &activities.Tenants{Pool: d.Pool}
	ctx := context.Background()
	q := db.New(d.Pool)
	second, err := q.DatabaseServerCreate(ctx, db.DatabaseServerCreateParams{Name: "second", Host: "10.0.0.2", Port: 5432,
		Kind: "shared", MaxTenants: 10, Tls: "verify-full"})
	require.NoError(t, err)

	// A server registered but not checked yet takes no tenant.
	early := registerInput("early")
	_, err = a.Register(ctx, early)
	require.NoError(t, err)
	p, err := a.Place(ctx, early.TenantID)
	require.NoError(t, err)
	assert.NotEqual(t, "10.0.0.2", p.Server.Host, "a pending server takes no tenant")
	_, err = q.DatabaseServerRecordCheck(ctx, db.DatabaseServerRecordCheckParams{ID: second.ID})
	require.NoError(t, err)

	counts := map[string]int{}
	for i := range 4 {
		in := registerInput("tenant" + string(rune('a'+i)))
		_, err := a.Register(ctx, in)
		require.NoError(t, err)
		p, err := a.Place(ctx, in.TenantID)
		require.NoError(t, err)
		again, err := a.Place(ctx, in.TenantID)
		require.NoError(t, err)
		assert.Equal(t, p, again, "a placed tenant keeps its server")
		counts[p.Server.Host]++
	}
	assert.Equal(t, 2, counts["10.0.0.2"], "tenants spread over the servers: %v", counts)

	// The enterprise plan made dedicated: no dedicated server exists, so no capacity.
	_, err = d.Pool.Exec(ctx, `UPDATE subscription_plans SET database_strategy = 'dedicated' WHERE plan_code = 'enterprise'`)
	require.NoError(t, err)
	in := registerInput("bigco")
	in.PlanCode = "enterprise"
	_, err = a.Register(ctx, in)
	require.NoError(t, err)
	_, err = a.Place(ctx, in.TenantID)
	assert.Equal(t, activities.ErrNoCapacity, errType(err))
}

func TestActivateAndMarkFailedChangeStatusOnce(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	a := &activities.Tenants{Pool: d.Pool}
	ctx := context.Background()
	now := time.Date(2024, 2, 15, 12, 0, 0, 0, time.UTC)

	trial := registerInput("trialco")
	_, err := a.Register(ctx, trial)
	require.NoError(t, err)
	for range 2 {
		res, err := a.Activate(ctx, activities.ActivateInput{TenantID: trial.TenantID, Now: now, Actor: "test"})
		require.NoError(t, err)
		assert.Equal(t, lifecycle.Trial, res.Status)
		assert.True(t, now.AddDate(0, 0, 14).Equal(*res.TrialEndsAt), "trial ends %v", *res.TrialEndsAt)
	}
	// A finished tenant is not marked failed by a late compensation.
	require.NoError(t, a.MarkFailed(ctx, activities.FailInput{TenantID: trial.TenantID, Reason: "late", Actor: "test"}))
	hist, err := db.New(d.Pool).TenantStatusHistoryList(ctx, trial.TenantID)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, lifecycle.Trial, hist[1].ToStatus)

	paid := registerInput("paidco")
	paid.PlanCode = "starter"
	_, err = a.Register(ctx, paid)
	require.NoError(t, err)
	res, err := a.Activate(ctx, activities.ActivateInput{TenantID: paid.TenantID, Now: now, Actor: "test"})
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Active, res.Status)
	tn, err := db.New(d.Pool).TenantGet(ctx, paid.TenantID)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC), tn.CurrentPeriodEnd.UTC())

	failing := registerInput("failco")
	_, err = a.Register(ctx, failing)
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, a.MarkFailed(ctx, activities.FailInput{TenantID: failing.TenantID, Reason: "seed_tenant: boom", Actor: "test"}))
	}
	tn, err = db.New(d.Pool).TenantGet(ctx, failing.TenantID)
	require.NoError(t, err)
	assert.Equal(t, lifecycle.Failed, tn.Status)
	assert.Equal(t, "seed_tenant: boom", *tn.OnboardingError)
	var revoked, history int
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM api_tokens WHERE tenant_id = $1 AND revoked_at IS NOT NULL),
		(SELECT count(*) FROM tenant_status_history WHERE tenant_id = $1)`, failing.TenantID).Scan(&revoked, &history))
	assert.Equal(t, 1, revoked)
	assert.Equal(t, 2, history)
}
