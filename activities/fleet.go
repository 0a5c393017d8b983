package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// Fleet are the activities of a fleet migration: which tenant databases are
// behind, and bringing one up to the tenant schema.
type Fleet struct {
	Pool    *pgxpool.Pool
	Servers *tenantdb.Servers
	Delay   StepDelay // fault injection: "fleet_migrate=3s" holds each tenant's step
}

// FleetTenant is a tenant database a rollout has to look at, and its server.
type FleetTenant struct {
	ID       uuid.UUID
	ServerID uuid.UUID
}

// BehindInput asks for the next page of tenant databases behind target.
type BehindInput struct {
	Target int64
	After  uuid.UUID
	Limit  int
}

// Behind pages through the tenant databases not known to be at target, in id order.
func (a *Fleet) Behind(ctx context.Context, in BehindInput) ([]FleetTenant, error) {
	rows, err := db.New(a.Pool).FleetTenantsBehind(ctx, db.FleetTenantsBehindParams{Target: in.Target, AfterID: in.After, RowLimit: int32(in.Limit)})
	if err != nil {
		return nil, err
	}
	out := make([]FleetTenant, 0, len(rows))
	for _, r := range rows {
		out = append(out, FleetTenant{ID: r.ID, ServerID: *r.DatabaseServerID})
	}
	return out, nil
}

// Target is where a rollout goes: the newest tenant migration this worker
// knows. It records it with the number of tenant databases behind it.
func (a *Fleet) Target(ctx context.Context, id uuid.UUID) (int64, error) {
	target, err := a.Servers.SchemaVersion()
	if err != nil {
		return 0, err
	}
	q := db.New(a.Pool)
	n, err := q.FleetTenantsBehindCount(ctx, target)
	if err != nil {
		return 0, err
	}
	return target, q.FleetMigrationSetTarget(ctx, db.FleetMigrationSetTargetParams{ID: id, TargetVersion: target, Total: n})
}

// FleetStatusInput sets a rollout's status.
type FleetStatusInput struct {
	ID     uuid.UUID
	Status string // running, paused, completed, failed, aborted
	Reason string // why it paused
}

// SetStatus records where a rollout stands; a finished one stays as it finished.
func (a *Fleet) SetStatus(ctx context.Context, in FleetStatusInput) error {
	arg := db.FleetMigrationSetStatusParams{ID: in.ID, Status: in.Status}
	if in.Reason != "" {
		arg.PausedReason = &in.Reason
	}
	return db.New(a.Pool).FleetMigrationSetStatus(ctx, arg)
}

// MigrateInput is one tenant database of a rollout.
type MigrateInput struct {
	FleetID  uuid.UUID
	TenantID uuid.UUID
}

// MigrateOutcome is what became of one tenant database.
type MigrateOutcome struct {
	Status   string // migrated, failed, skipped
	From, To int64
	Error    string
}

// MigrateTenant brings one tenant database up to the tenant schema and
// records it, once per rollout and tenant. Under the tenant's access lock (so
// a suspension or reactivation waits): a closed database is opened to
// landlord alone and closed again, its role never regaining CONNECT. A
// migration the database refuses (its data breaks a new constraint, say) is
// the tenant's failure, recorded with the database's error, the database left
// at the version before; anything else (a server unreachable) is retried.
func (a *Fleet) MigrateTenant(ctx context.Context, in MigrateInput) (MigrateOutcome, error) {
	defer keepAlive(ctx)() // a worker that dies mid-step is noticed in seconds, and the step runs again
	if err := a.Delay.pause(ctx, "fleet_migrate"); err != nil {
		return MigrateOutcome{}, err
	}
	var out MigrateOutcome
	started := time.Now()
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if err := q.TenantLockAccess(ctx, in.TenantID.String()); err != nil {
			return fmt.Errorf("lock access of %s: %w", in.TenantID, err)
		}
		t, err := q.TenantGet(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		if t.DatabaseServerID == nil || t.DatabaseName == nil || !(t.Status.DatabaseOpen() || t.Status.DatabaseBlocked()) || t.Status == "archiving" {
			out = MigrateOutcome{Status: "skipped", Error: "the tenant is " + string(t.Status) + ": no database to migrate"}
			return nil
		}
		srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
		if err != nil {
			return fmt.Errorf("load database server: %w", err)
		}
		server, name := tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}, *t.DatabaseName
		if t.Status.DatabaseBlocked() {
			if err := a.Servers.OpenToLandlord(ctx, server, name); err != nil {
				return err
			}
		}
		from, to, merr := a.Servers.Migrate(ctx, server, name)
		if t.Status.DatabaseBlocked() {
			if err := a.Servers.Block(context.WithoutCancel(ctx), server, name); err != nil {
				return errors.Join(merr, err)
			}
		}
		var pgErr *pgconn.PgError
		switch {
		case errors.As(merr, &pgErr):
			out = MigrateOutcome{Status: "failed", From: from, To: to, Error: merr.Error()}
		case merr != nil:
			return merr
		default:
			out = MigrateOutcome{Status: "migrated", From: from, To: to}
			if err := q.TenantSetSchemaVersion(ctx, db.TenantSetSchemaVersionParams{ID: t.ID, SchemaVersion: &to}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return MigrateOutcome{}, err
	}
	rec := db.FleetTenantRecordParams{FleetID: in.FleetID, TenantID: in.TenantID, Status: out.Status,
		DurationMs: int32(time.Since(started).Milliseconds())}
	if out.Status != "skipped" {
		rec.FromVersion, rec.ToVersion = &out.From, &out.To
	}
	if out.Error != "" {
		rec.Error = &out.Error
	}
	return out, db.New(a.Pool).FleetTenantRecord(ctx, rec)
}
