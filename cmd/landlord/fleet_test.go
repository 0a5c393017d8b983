package main

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/testenv"
)

func TestTheFleetProgressLineShowsWhereARolloutStands(t *testing.T) {
	why := "failures passed the threshold"
	p := fleetProgress{Status: "paused", PausedReason: &why, Target: 4, Total: 8, Migrated: 3, Failed: 1}
	assert.Equal(t, "[#####.....] 4/8 to v4: 3 migrated, 1 failed, 0 skipped — paused (failures passed the threshold)", p.line(10))
	assert.Equal(t, "[..........] 0/0 to v4: 0 migrated, 0 failed, 0 skipped — running", fleetProgress{Status: "running", Target: 4}.line(10))
}

// TestFollowingARolloutPrintsItsEndAndItsFailures: a finished rollout is
// printed once with the tenants that failed, and a failed one is an error (the
// command exits non-zero).
func TestFollowingARolloutPrintsItsEndAndItsFailures(t *testing.T) {
	d := testenv.NewDB(t)
	q := db.New(d.Pool)
	ctx := t.Context()
	id := uuid.New()
	_, err := q.FleetMigrationInsert(ctx, db.FleetMigrationInsertParams{ID: id, Canary: 1, Parallel: 1, StartedBy: "test"})
	require.NoError(t, err)
	require.NoError(t, q.FleetMigrationSetTarget(ctx, db.FleetMigrationSetTargetParams{ID: id, TargetVersion: 4, Total: 1}))
	tenant := uuid.New()
	_, err = d.Pool.Exec(ctx, `INSERT INTO tenants (id, tenant_code, tenant_name, subdomain, status, plan_code, billing_cycle,
		max_companies, max_users_per_company, max_transactions_per_month, max_storage_gb, api_rate_limit_per_hour, admin_email, admin_name, billing_email)
		VALUES ($1, 'follow', 'Follow', 'follow', 'provisioning', 'trial', 'monthly', 1, 1, 1, 1, 1, 'a@example.com', 'A', 'a@example.com')`, tenant)
	require.NoError(t, err)
	msg := "ERROR: check constraint violated"
	require.NoError(t, q.FleetTenantRecord(ctx, db.FleetTenantRecordParams{FleetID: id, TenantID: tenant, Status: "failed", Error: &msg}))
	require.NoError(t, q.FleetMigrationSetStatus(ctx, db.FleetMigrationSetStatusParams{ID: id, Status: "failed"}))

	var out bytes.Buffer
	err = followFleet(ctx, q, id, &out, false)
	require.EqualError(t, err, "the rollout failed")
	assert.Equal(t, "[########################################] 1/1 to v4: 0 migrated, 1 failed, 0 skipped — failed\n  "+
		tenant.String()+": ERROR: check constraint violated\n", out.String())
}
