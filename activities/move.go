package activities

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/tenantdb"
)

// MoveInput asks for a tenant's database to move to another server.
type MoveInput struct {
	TenantID uuid.UUID
	Target   uuid.UUID // the database server to move to; uuid.Nil: the emptiest active one of the kind its plan wants
	Actor    string
}

// MovePlan is a move as its first step found it.
type MovePlan struct {
	TenantID           uuid.UUID
	SourceID, TargetID uuid.UUID
	Source, Target     tenantdb.Server
	SourceName         string
	TargetName         string
	Actor              string
	Logical            bool // the source publishes (wal_level = logical): the copy follows it until the switch
}

func (p MovePlan) name() string { return tenantdb.Name(p.TenantID) }

func (p MovePlan) method() string {
	if p.Logical {
		return "logical_replication"
	}
	return "copy"
}

// PlanMove checks a move can start: an operator asks, the tenant holds a
// database and is neither being built nor dropped, and the target is another
// active server.
func (a *Databases) PlanMove(ctx context.Context, in MoveInput) (MovePlan, error) {
	q := db.New(a.Pool)
	if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.Operator); err != nil {
		return MovePlan{}, err
	}
	t, err := q.TenantGet(ctx, in.TenantID)
	if err != nil {
		return MovePlan{}, fmt.Errorf("load tenant: %w", db.NotFound(err))
	}
	if t.DatabaseServerID == nil || t.DatabaseName == nil || !(t.Status.DatabaseOpen() || t.Status == lifecycle.Suspended || t.Status == lifecycle.Cancelled) {
		return MovePlan{}, permanent(ErrConflict, "a "+string(t.Status)+" tenant's database cannot move", nil)
	}
	if in.Target == uuid.Nil {
		plan, err := q.PlanGet(ctx, t.PlanCode)
		if err != nil {
			return MovePlan{}, err
		}
		kind := "shared"
		if plan.DatabaseStrategy == "dedicated" {
			kind = "dedicated"
		}
		srv, err := q.DatabaseServerPick(ctx, kind)
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return MovePlan{}, permanent(ErrNoCapacity, "no other active "+kind+" database server has room for the tenant", nil)
		}
		if err != nil {
			return MovePlan{}, err
		}
		in.Target = srv.ID
	}
	if *t.DatabaseServerID == in.Target {
		return MovePlan{}, permanent(ErrConflict, "the tenant's database is on that server already", nil)
	}
	src, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
	if err != nil {
		return MovePlan{}, err
	}
	dst, err := q.DatabaseServerGet(ctx, in.Target)
	if err != nil {
		return MovePlan{}, permanent(ErrInvalidInput, "no such database server", nil)
	}
	if dst.Status != "active" {
		return MovePlan{}, permanent(ErrInvalidInput, "the server "+dst.Name+" is "+dst.Status+": only an active server takes tenants", nil)
	}
	source := tenantdb.Server{Host: src.Host, Port: int(src.Port)}
	logical, err := a.Servers.CanPublish(ctx, source)
	if err != nil {
		return MovePlan{}, err
	}
	return MovePlan{Logical: logical, TenantID: t.ID, SourceID: src.ID, TargetID: dst.ID, Source: tenantdb.Server{Host: src.Host, Port: int(src.Port)},
		Target: tenantdb.Server{Host: dst.Host, Port: int(dst.Port)}, SourceName: src.Name, TargetName: dst.Name, Actor: in.Actor}, nil
}

// PrepareCopy makes the tenant's role and an empty database of the current
// schema on the target, closed to the tenant; the source is brought to the
// same schema version.
func (a *Databases) PrepareCopy(ctx context.Context, p MovePlan) error {
	defer keepAlive(ctx)()
	password, err := a.password(ctx, p.TenantID, false)
	if err != nil {
		return err
	}
	if _, err := a.Servers.EnsureTemplate(ctx, p.Target, nil); err != nil {
		return err
	}
	if err := a.Servers.CreateRole(ctx, p.Target, p.name(), password); err != nil {
		return err
	}
	if err := a.Servers.CreateDatabase(ctx, p.Target, p.name()); err != nil {
		return err
	}
	if err := a.Servers.Block(ctx, p.Target, p.name()); err != nil {
		return err
	}
	if err := a.Servers.OpenToLandlord(ctx, p.Target, p.name()); err != nil {
		return err
	}
	if _, _, err := a.Servers.Migrate(ctx, p.Target, p.name()); err != nil {
		return err
	}
	return nil
}

// CloseForMove closes the source database to the tenant (under its access
// lock, so a reactivation waits) and opens it to landlord: writes stop here.
// It returns when they stopped.
func (a *Databases) CloseForMove(ctx context.Context, p MovePlan) (time.Time, error) {
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if err := q.TenantLockAccess(ctx, p.TenantID.String()); err != nil {
			return err
		}
		return a.Servers.ShutOut(ctx, p.Source, p.name())
	})
	return time.Now(), err
}

// CopyResult is what a copy moved and found.
type CopyResult struct {
	Rows   int64
	Tables int
}

// CopyAndVerify brings the source to the target's schema version, copies its
// rows, and checks every table's row count and content checksum are equal on
// both; a difference is a failure that leaves the tenant where it was.
func (a *Databases) CopyAndVerify(ctx context.Context, p MovePlan) (CopyResult, error) {
	defer keepAlive(ctx)()
	if err := a.Delay.pause(ctx, "move_copy"); err != nil {
		return CopyResult{}, err
	}
	if _, _, err := a.Servers.Migrate(ctx, p.Source, p.name()); err != nil {
		return CopyResult{}, err
	}
	rows, err := a.Servers.CopyTenant(ctx, p.Source, p.Target, p.name())
	if err != nil {
		return CopyResult{}, err
	}
	want, got, err := a.fingerprints(ctx, p)
	if err != nil {
		return CopyResult{}, err
	}
	for _, t := range slices.Sorted(maps.Keys(want)) {
		if got[t] != want[t] {
			return CopyResult{}, permanent(ErrConflict, fmt.Sprintf("the copy of %s differs: %s on %s, %s on %s", t, want[t], p.SourceName, got[t], p.TargetName), nil)
		}
	}
	return CopyResult{Rows: rows, Tables: len(want)}, nil
}

// StartReplication makes the copy follow the source (logical replication),
// its initial copy done, while the tenant still writes to the source.
func (a *Databases) StartReplication(ctx context.Context, p MovePlan) error {
	defer keepAlive(ctx)()
	if err := a.Delay.pause(ctx, "move_copy"); err != nil {
		return err
	}
	return a.Servers.StartReplication(ctx, p.Source, p.Target, p.name())
}

// CatchUpAndVerify waits, the source closed, until the copy holds exactly
// what the source does (every table's rows and checksum equal: the source no
// longer changes, so equal means caught up), then ends the replication.
func (a *Databases) CatchUpAndVerify(ctx context.Context, p MovePlan) (CopyResult, error) {
	defer keepAlive(ctx)()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		want, got, err := a.fingerprints(ctx, p)
		if err != nil {
			return CopyResult{}, err
		}
		if maps.Equal(want, got) {
			return CopyResult{Tables: len(want), Rows: rowsIn(want)}, a.Servers.StopReplication(ctx, p.Source, p.Target, p.name())
		}
		if time.Now().After(deadline) {
			return CopyResult{}, permanent(ErrConflict, "the copy did not catch up with the source within 2 minutes", nil)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fingerprints are the source's and the copy's, taken at once (the tenant
// waits for this while shut out).
func (a *Databases) fingerprints(ctx context.Context, p MovePlan) (source, copy map[string]string, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { source, err = a.Servers.Fingerprint(gctx, p.Source, p.name()); return err })
	g.Go(func() (err error) { copy, err = a.Servers.Fingerprint(gctx, p.Target, p.name()); return err })
	return source, copy, g.Wait()
}

// StopReplication ends a move's replication (a move that failed).
func (a *Databases) StopReplication(ctx context.Context, p MovePlan) error {
	return a.Servers.StopReplication(ctx, p.Source, p.Target, p.name())
}

// rowsIn sums the row counts of a fingerprint ("N rows, md5 …").
func rowsIn(f map[string]string) int64 {
	var total int64
	for _, v := range f {
		var n int64
		fmt.Sscanf(v, "%d rows", &n)
		total += n
	}
	return total
}

// SwitchInput moves the placement once the copy is verified.
type SwitchInput struct {
	Plan     MovePlan
	ClosedAt time.Time
	Copy     CopyResult
}

// SwitchServer points the tenant at the copy and opens it as its status says
// (under the access lock): the write downtime ends here. It returns the
// downtime.
func (a *Databases) SwitchServer(ctx context.Context, in SwitchInput) (time.Duration, error) {
	p := in.Plan
	var downtime time.Duration
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if err := q.TenantLockAccess(ctx, p.TenantID.String()); err != nil {
			return err
		}
		t, err := q.TenantGet(ctx, p.TenantID)
		if err != nil {
			return err
		}
		if t.DatabaseServerID == nil || *t.DatabaseServerID != p.SourceID {
			if t.DatabaseServerID != nil && *t.DatabaseServerID == p.TargetID {
				return nil // switched already: a retry after the commit
			}
			return permanent(ErrConflict, "the tenant's placement changed during the move", nil)
		}
		if err := q.TenantSetServer(ctx, db.TenantSetServerParams{ID: t.ID, DatabaseServerID: &p.TargetID}); err != nil {
			return err
		}
		if t.Status.DatabaseOpen() {
			if err := a.Servers.Unblock(ctx, p.Target, p.name()); err != nil {
				return err
			}
		} else if err := a.Servers.Block(ctx, p.Target, p.name()); err != nil {
			return err
		}
		downtime = time.Since(in.ClosedAt)
		return audit(ctx, q, t.ID, p.Actor, "TENANT_MOVED", map[string]any{"from": p.SourceName, "to": p.TargetName,
			"rows": in.Copy.Rows, "tables": in.Copy.Tables, "write_downtime_ms": downtime.Milliseconds(), "method": p.method()})
	})
	return downtime, err
}

// DropCopy removes the database and role of the tenant from one server of a
// move: the target's when the move failed before the switch, the source's a
// while after it.
func (a *Databases) DropCopy(ctx context.Context, in DropCopyInput) error {
	defer keepAlive(ctx)()
	if in.Unless != uuid.Nil {
		t, err := db.New(a.Pool).TenantGet(ctx, in.TenantID)
		if err != nil && !errors.Is(db.NotFound(err), db.ErrNotFound) {
			return err
		}
		if err == nil && t.DatabaseServerID != nil && *t.DatabaseServerID == in.Unless {
			return nil // the tenant moved back here meanwhile: this is its database now
		}
	}
	if err := a.Servers.DropDatabase(ctx, in.Server, tenantdb.Name(in.TenantID)); err != nil {
		return err
	}
	return a.Servers.DropRole(ctx, in.Server, tenantdb.Name(in.TenantID))
}

// DropCopyInput names the copy to drop.
type DropCopyInput struct {
	TenantID uuid.UUID
	Server   tenantdb.Server
	Unless   uuid.UUID // an old copy: kept if the tenant is placed on this server (moved back) when its time comes
}

// DrainInput pages a draining server's tenants.
type DrainInput struct {
	Server uuid.UUID
	After  uuid.UUID
	Limit  int
}

// DrainPage is the next tenants on a draining server, in id order.
func (a *Databases) DrainPage(ctx context.Context, in DrainInput) ([]uuid.UUID, error) {
	return db.New(a.Pool).TenantsToDrain(ctx, db.TenantsToDrainParams{ServerID: &in.Server, AfterID: in.After, RowLimit: int32(in.Limit)})
}
