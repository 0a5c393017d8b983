package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureTenant inserts a tenant on plan/cycle with its status history, each
// entry "status@2026-10-02T00:00:00Z", and returns its id.
func (s *stack) fixtureTenant(name, plan, cycle string, onLocal bool, history ...string) uuid.UUID {
	s.t.Helper()
	ctx := s.t.Context()
	id := uuid.New()
	status, _, _ := strings.Cut(history[len(history)-1], "@")
	_, err := s.db.Pool.Exec(ctx, `
		INSERT INTO tenants (id, tenant_code, tenant_name, subdomain, status, plan_code, billing_cycle, max_companies,
		                     max_users_per_company, max_transactions_per_month, max_storage_gb, api_rate_limit_per_hour,
		                     admin_email, admin_name, billing_email, database_server_id)
		SELECT $1, $2, $2, $3, $4, $5, $6, 1, 1, 1, 1, 1, 'a@example.com', 'A', 'a@example.com',
		       CASE WHEN $7 THEN (SELECT id FROM database_servers WHERE name = 'local') END`,
		id, "kpi_"+name, "kpi-"+name, status, plan, cycle, onLocal)
	require.NoError(s.t, err)
	from := ""
	for _, h := range history {
		to, when, _ := strings.Cut(h, "@")
		at, err := time.Parse(time.RFC3339, when)
		require.NoError(s.t, err)
		var fromPtr *string
		if from != "" {
			fromPtr = &from
		}
		_, err = s.db.Pool.Exec(ctx, `INSERT INTO tenant_status_history (tenant_id, from_status, to_status, actor, created_at)
			VALUES ($1, $2, $3, 'fixture', $4)`, id, fromPtr, to, at)
		require.NoError(s.t, err)
		from = to
	}
	return id
}

// TestKPIsOverAFixtureWithHandComputedAnswers: October 2026.
//
//	A starter/monthly   trial 10 Sep, converted 24 Sep            paying all October
//	B professional/ann. trial 2 Oct, converted 10 Oct             new, converted, paying at the end
//	C starter/monthly   trial 5 Oct, trial expired 19 Oct        new, trial ended unconverted
//	D enterprise/mo.    active 1 Sep, cancelled 15 Oct            churned
//	E trial             trial 20 Oct                              new, still in trial
//	F trial             failed 3 Oct                              not a new tenant
//	G starter/monthly   active 1 Aug, past due 28 Oct             still paying (past due)
//
// Paying at 1 Nov: A, B, G → MRR 4900 + 199000/12 + 4900 = 26383.33 → 26383 cents; ARPU 26383/3 → 8794.
// New in October: B, C, E = 3; in September: A, D = 2 → growth 0.5. Trials ended in October: B, C; converted: B → 0.5.
// Paying at 1 Oct: A, D, G = 3; churned: D → 0.3333. Paid invoices in October: 199000 (B) + 4900 (A) = 203900.
func TestKPIsOverAFixtureWithHandComputedAnswers(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{noWorker: true})
	a := s.fixtureTenant("a", "starter", "monthly", true, "provisioning@2026-09-10T09:00:00Z", "trial@2026-09-10T09:00:01Z", "active@2026-09-24T09:00:00Z")
	b := s.fixtureTenant("b", "professional", "annual", true, "provisioning@2026-10-02T09:00:00Z", "trial@2026-10-02T09:00:01Z", "active@2026-10-10T09:00:00Z")
	s.fixtureTenant("c", "starter", "monthly", false, "provisioning@2026-10-05T09:00:00Z", "trial@2026-10-05T09:00:01Z", "suspended@2026-10-19T09:00:00Z")
	s.fixtureTenant("d", "enterprise", "monthly", false, "provisioning@2026-09-01T09:00:00Z", "active@2026-09-01T09:00:01Z", "cancelled@2026-10-15T09:00:00Z")
	s.fixtureTenant("e", "trial", "monthly", false, "provisioning@2026-10-20T09:00:00Z", "trial@2026-10-20T09:00:01Z")
	s.fixtureTenant("f", "trial", "monthly", false, "provisioning@2026-10-03T09:00:00Z", "failed@2026-10-03T09:00:01Z")
	g := s.fixtureTenant("g", "starter", "monthly", true, "provisioning@2026-08-01T09:00:00Z", "active@2026-08-01T09:00:01Z", "past_due@2026-10-28T09:00:00Z")
	ctx := t.Context()
	for _, inv := range []struct {
		tenant       uuid.UUID
		total        int64
		status, paid string
	}{{b, 199000, "paid", "2026-10-10T09:00:00Z"}, {a, 4900, "paid", "2026-10-24T09:00:00Z"}, {g, 4900, "open", ""}, {a, 4900, "paid", "2026-09-24T09:00:00Z"}} {
		var paidAt *time.Time
		if inv.paid != "" {
			p, _ := time.Parse(time.RFC3339, inv.paid)
			paidAt = &p
		}
		_, err := s.db.Pool.Exec(ctx, `INSERT INTO invoices (number, tenant_id, status, total_cents, subtotal_cents, idempotency_key, paid_at)
			VALUES ($1, $2, $3, $4, $4, $1, $5)`, "FIX-"+uuid.NewString(), inv.tenant, inv.status, inv.total, paidAt)
		require.NoError(t, err)
	}
	for _, u := range []struct {
		tenant uuid.UUID
		bytes  int64
	}{{a, 1000}, {b, 2000}} {
		_, err := s.db.Pool.Exec(ctx, `INSERT INTO tenant_usage (tenant_id, month, storage_bytes) VALUES ($1, '2026-10-01', $2)`, u.tenant, u.bytes)
		require.NoError(t, err)
	}

	code, out := s.call(http.MethodGet, "/v1/kpis?month=2026-10", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "2026-10", out["month"])
	assert.Equal(t, float64(26383), out["mrr_cents"])
	assert.Equal(t, float64(8794), out["arpu_cents"])
	assert.Equal(t, float64(3), out["paying_tenants"])
	assert.Equal(t, float64(203900), out["revenue_cents"])
	assert.Equal(t, float64(3), out["new_tenants"])
	assert.Equal(t, float64(2), out["new_tenants_previous"])
	assert.Equal(t, 0.5, out["growth_mom"])
	assert.Equal(t, 0.5, out["trial_conversion_rate"])
	assert.Equal(t, 0.3333, out["churn_rate"])
	assert.Equal(t, map[string]any{"active": float64(2), "suspended": float64(1), "cancelled": float64(1), "trial": float64(1),
		"failed": float64(1), "past_due": float64(1)}, out["tenants_by_status"])
	assert.Equal(t, map[string]any{"starter": float64(2), "professional": float64(1), "trial": float64(1)}, out["tenants_by_plan"])
	assert.Equal(t, []any{map[string]any{"name": "local", "tenants": float64(3), "storage_bytes": float64(3000)}}, out["database_servers"])

	// September: A and D are new, after G alone in August: growth 1.0. July had none: no base for August.
	code, out = s.call(http.MethodGet, "/v1/kpis?month=2026-09", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(2), out["new_tenants"])
	assert.Equal(t, 1.0, out["growth_mom"])
	assert.Equal(t, float64(4900), out["revenue_cents"])
	code, out = s.call(http.MethodGet, "/v1/kpis?month=2026-08", s.operator, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Nil(t, out["growth_mom"], "no new tenants in July to grow from")
	code, _ = s.call(http.MethodGet, "/v1/kpis?month=October", s.operator, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, code)
}
