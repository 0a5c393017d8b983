package activities

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/tenantdb"
)

// ProvisionInput is a registered tenant that needs its database.
type ProvisionInput struct {
	TenantID    uuid.UUID
	CompanyName string
	AdminEmail  string
	AdminName   string
}

// Provisioned is where the tenant's database was made, and how.
type Provisioned struct {
	Placement
	Warm bool // claimed from the warm pool rather than built
}

// Provision places the tenant (Place), gives it a database and seeds it with
// the default company and admin user. The database is claimed from the warm
// pool of its server when one is ready there (renamed to the tenant's names),
// else built from the template as CreateRole and CreateDatabase do; the
// placement and the claim are one transaction. One step,
// because one compensation (Drop) undoes all of it. It is idempotent: the
// placement, the claim (claimed_by) and the password are recorded before
// anything is built, and every server step converges when run again.
func (a *Databases) Provision(ctx context.Context, in ProvisionInput) (Provisioned, error) {
	defer keepAlive(ctx)()
	var p Placement
	var srv db.DatabaseServer
	var warm *db.WarmDatabase
	var sealed []byte
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		var t db.Tenant
		var err error
		if p, srv, t, err = placeIn(ctx, q, in.TenantID); err != nil {
			return err
		}
		warm, sealed, err = a.claim(ctx, q, t, p.ServerID)
		return err
	})
	if err != nil {
		return Provisioned{}, err
	}
	plain, err := a.Box.Open(sealed)
	if err != nil {
		return Provisioned{}, permanent(ErrInconsistency, "tenant database password cannot be opened with LANDLORD_SECRET_KEY", err)
	}
	password := string(plain)
	ref := DatabaseRef{TenantID: in.TenantID, Server: p.Server}
	seed := tenantdb.SeedData{Name: in.CompanyName, AdminEmail: in.AdminEmail, AdminName: in.AdminName}
	if warm == nil {
		return Provisioned{Placement: p}, a.build(ctx, ref, srv, password, seed)
	}
	if err := a.Servers.Claim(ctx, p.Server, tenantdb.WarmName(warm.ID), ref.name()); err != nil {
		return Provisioned{}, err
	}
	if err := a.Delay.pause(ctx, "seed_tenant"); err != nil {
		return Provisioned{}, err
	}
	if err := a.Servers.Seed(ctx, p.Server, ref.name(), password, seed); err != nil {
		return Provisioned{}, err
	}
	return Provisioned{Placement: p, Warm: true}, nil
}

// claim takes a ready pooled database of the tenant's server for it, in the
// caller's transaction (which holds the tenant's row), storing its sealed
// password and schema version in the tenant row, and returns it with the
// sealed password. A tenant that claimed one before gets the same one; a
// tenant that began a database of its own (its password is stored), or whose
// server has none ready, gets none, and a password.
func (a *Databases) claim(ctx context.Context, q *db.Queries, t db.Tenant, serverID uuid.UUID) (*db.WarmDatabase, []byte, error) {
	if w, err := q.WarmDatabaseOfTenant(ctx, &t.ID); err == nil {
		return &w, w.PasswordEnc, nil
	} else if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return nil, nil, fmt.Errorf("look up the pooled database of %s: %w", t.ID, err)
	}
	if t.DatabasePasswordEnc != nil {
		return nil, t.DatabasePasswordEnc, nil
	}
	var warm *db.WarmDatabase
	var sealed []byte
	w, err := q.WarmDatabaseClaim(ctx, db.WarmDatabaseClaimParams{TenantID: &t.ID, DatabaseServerID: serverID})
	switch {
	case errors.Is(db.NotFound(err), db.ErrNotFound):
		metrics.WarmPoolClaims.WithLabelValues("miss").Inc()
		sealed = a.newPassword()
	case err != nil:
		return nil, nil, fmt.Errorf("claim a pooled database for %s: %w", t.ID, err)
	default:
		metrics.WarmPoolClaims.WithLabelValues("hit").Inc()
		warm, sealed = &w, w.PasswordEnc
		if err := q.TenantSetSchemaVersion(ctx, db.TenantSetSchemaVersionParams{ID: t.ID, SchemaVersion: &w.TemplateVersion}); err != nil {
			return nil, nil, fmt.Errorf("record the schema version of %s: %w", t.ID, err)
		}
	}
	if _, err := q.TenantSetDatabasePassword(ctx, db.TenantSetDatabasePasswordParams{ID: t.ID, DatabasePasswordEnc: sealed}); err != nil {
		return nil, nil, fmt.Errorf("store database password of %s: %w", t.ID, err)
	}
	return warm, sealed, nil
}

// newPassword is a new random database password, sealed.
func (a *Databases) newPassword() []byte {
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	return a.Box.Seal([]byte(hex.EncodeToString(raw)))
}

// build makes the tenant's role and its database from the server's
// template, seeded.
func (a *Databases) build(ctx context.Context, ref DatabaseRef, srv db.DatabaseServer, password string, seed tenantdb.SeedData) error {
	if err := a.Delay.pause(ctx, "create_role"); err != nil {
		return err
	}
	if err := a.Servers.CreateRole(ctx, ref.Server, ref.name(), password); err != nil {
		return err
	}
	if err := a.Delay.pause(ctx, "create_database"); err != nil {
		return err
	}
	tpl, err := a.createDatabase(ctx, srv, ref.Server, ref.name(), &seed)
	if err != nil {
		return err
	}
	// Cloned from the template: at its version, so no rollout needs to look at it.
	return db.New(a.Pool).TenantSetSchemaVersion(ctx, db.TenantSetSchemaVersionParams{ID: ref.TenantID, SchemaVersion: &tpl.Version})
}

// createDatabase clones the server's template into database name (seeded
// when seed is given), building the template first when the server's row
// says it is older than this release's (or when it turns out to be missing),
// and returns the template.
func (a *Databases) createDatabase(ctx context.Context, srv db.DatabaseServer, server tenantdb.Server, name string, seed *tenantdb.SeedData) (tenantdb.Template, error) {
	tpl, err := a.template(ctx, srv, server, false)
	if err != nil {
		return tpl, err
	}
	create := func() error {
		if seed != nil {
			return a.Servers.CreateSeeded(ctx, server, name, *seed, func(ctx context.Context) error {
				return a.Delay.pause(ctx, "seed_tenant")
			})
		}
		return a.Servers.CreateDatabase(ctx, server, name)
	}
	err = create()
	if tenantdb.MissingTemplate(err) {
		if tpl, err = a.template(ctx, srv, server, true); err == nil {
			err = create()
		}
	}
	return tpl, err
}

// template is the server's template, built or rebuilt (EnsureTemplate) only
// when forced or when the server's row records none as new as this
// release's; what it finds is recorded in the row.
func (a *Databases) template(ctx context.Context, srv db.DatabaseServer, server tenantdb.Server, force bool) (tenantdb.Template, error) {
	release, err := tenantdb.ReleaseTemplate()
	if err != nil {
		return tenantdb.Template{}, err
	}
	if !force && srv.TemplateVersion != nil && srv.TemplateDigest != nil {
		recorded := tenantdb.Template{Version: *srv.TemplateVersion, Digest: *srv.TemplateDigest}
		if recorded.Version > release.Version || recorded == release {
			return recorded, nil
		}
	}
	tpl, err := a.Servers.EnsureTemplate(ctx, server, nil)
	if err != nil {
		return tpl, err
	}
	err = db.New(a.Pool).DatabaseServerSetTemplate(ctx, db.DatabaseServerSetTemplateParams{
		Host: server.Host, Port: int32(server.Port), Version: &tpl.Version, Digest: &tpl.Digest})
	return tpl, err
}

// RefillInput is a server's warm pool and the number of ready databases to keep there.
type RefillInput struct {
	ServerID uuid.UUID
	Size     int
}

// RefillResult is what a refill did.
type RefillResult struct {
	Ready   int // ready databases when it ended
	Built   int
	Retired int // built from an older template, or left half-built by a refill that died
}

// RefillWarmPool keeps Size ready databases, cloned from the server's current
// template, in the server's warm pool: it first drops the pooled databases
// built from another template and those a dead refill left half-built, then
// builds what is missing, one at a time, recording each before it is built.
// Refills of one server take turns (an advisory lock held while it runs), so
// a row without ready_at that it finds is a dead build's.
func (a *Databases) RefillWarmPool(ctx context.Context, in RefillInput) (RefillResult, error) {
	defer keepAlive(ctx)()
	var res RefillResult
	conn, err := a.Pool.Acquire(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Release()
	var mine bool
	lock := "landlord.warm_pool/" + in.ServerID.String()
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, lock).Scan(&mine); err != nil {
		return res, fmt.Errorf("lock the warm pool: %w", err)
	}
	if !mine {
		return res, nil // another refill of this server is running
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, lock)

	q := db.New(a.Pool)
	srv, err := q.DatabaseServerGet(ctx, in.ServerID)
	if err != nil {
		return res, fmt.Errorf("load database server %s: %w", in.ServerID, db.NotFound(err))
	}
	server := tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}
	tpl, err := a.template(ctx, srv, server, false)
	if err != nil {
		return res, err
	}
	pooled, err := q.WarmDatabasesUnclaimed(ctx, in.ServerID)
	if err != nil {
		return res, fmt.Errorf("list the warm pool of %s: %w", srv.Name, err)
	}
	for _, w := range pooled {
		current := w.ReadyAt != nil && w.TemplateVersion == tpl.Version && w.TemplateDigest == tpl.Digest
		if current && res.Ready < in.Size {
			res.Ready++
			continue
		}
		if err := a.retire(ctx, q, server, w.ID); err != nil {
			return res, err
		}
		res.Retired++
	}
	for res.Ready < in.Size {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := a.buildWarm(ctx, q, srv.ID, server, tpl); err != nil {
			return res, err
		}
		res.Ready++
		res.Built++
	}
	metrics.WarmPoolReady.WithLabelValues(srv.Name).Set(float64(res.Ready))
	return res, nil
}

// buildWarm records a pooled database, builds it and marks it ready.
func (a *Databases) buildWarm(ctx context.Context, q *db.Queries, serverID uuid.UUID, server tenantdb.Server, tpl tenantdb.Template) error {
	start := time.Now()
	id := uuid.New()
	sealed := a.newPassword()
	if err := q.WarmDatabaseInsert(ctx, db.WarmDatabaseInsertParams{ID: id, DatabaseServerID: serverID,
		TemplateVersion: tpl.Version, TemplateDigest: tpl.Digest, PasswordEnc: sealed}); err != nil {
		return fmt.Errorf("record a pooled database: %w", err)
	}
	plain, err := a.Box.Open(sealed)
	if err != nil {
		return err
	}
	if err := a.Servers.BuildWarm(ctx, server, tenantdb.WarmName(id), string(plain)); err != nil {
		return err
	}
	took := time.Since(start)
	metrics.WarmPoolBuildSeconds.Observe(took.Seconds())
	return q.WarmDatabaseReady(ctx, db.WarmDatabaseReadyParams{ID: id, BuildMs: ptr(int32(took.Milliseconds()))})
}

// retire drops an unclaimed pooled database and its row.
func (a *Databases) retire(ctx context.Context, q *db.Queries, server tenantdb.Server, id uuid.UUID) error {
	if err := a.Servers.Drop(ctx, server, tenantdb.WarmName(id)); err != nil {
		return err
	}
	if err := q.WarmDatabaseDelete(ctx, id); err != nil {
		return fmt.Errorf("forget pooled database %s: %w", id, err)
	}
	return nil
}

// WarmPoolServer is a database server and whether it takes new tenants (only
// then is a pool kept there; another's pool is emptied).
type WarmPoolServer struct {
	ID     uuid.UUID
	Active bool
}

// WarmPoolServers lists the database servers.
func (a *Databases) WarmPoolServers(ctx context.Context) ([]WarmPoolServer, error) {
	rows, err := db.New(a.Pool).DatabaseServerList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list database servers: %w", err)
	}
	out := make([]WarmPoolServer, 0, len(rows))
	for _, r := range rows {
		out = append(out, WarmPoolServer{ID: r.ID, Active: r.Status == "active"})
	}
	return out, nil
}
