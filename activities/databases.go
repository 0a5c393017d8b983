package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/tenantdb"
)

// Databases are the activities that provision and remove tenant databases.
type Databases struct {
	Pool    *pgxpool.Pool
	Servers *tenantdb.Servers
	Box     *secrets.Box
	Delay   StepDelay
}

// DatabaseRef names a tenant's database (and role) on its server.
type DatabaseRef struct {
	TenantID uuid.UUID
	Server   tenantdb.Server
}

func (r DatabaseRef) name() string { return tenantdb.Name(r.TenantID) }

// CreateRole creates the tenant's login role. Its random password is stored
// sealed in the tenant row on the first run and reused by every later run, and
// the role is created or its password reset to it, so reruns converge.
func (a *Databases) CreateRole(ctx context.Context, ref DatabaseRef) error {
	defer keepAlive(ctx)()
	if err := a.Delay.pause(ctx, "create_role"); err != nil {
		return err
	}
	password, err := a.password(ctx, ref.TenantID, true)
	if err != nil {
		return err
	}
	return a.Servers.CreateRole(ctx, ref.Server, ref.name(), password)
}

// CreateDatabase clones the template into the tenant's database, owned by its
// role, with CONNECT revoked from PUBLIC; an existing database of that role is
// kept. The template is (re)built first when the server lacks it (or this
// release's schema is newer); the tenant is recorded at the template's version.
func (a *Databases) CreateDatabase(ctx context.Context, ref DatabaseRef) error {
	defer keepAlive(ctx)()
	if err := a.Delay.pause(ctx, "create_database"); err != nil {
		return err
	}
	q := db.New(a.Pool)
	srv, err := q.DatabaseServerGetByAddress(ctx, db.DatabaseServerGetByAddressParams{Host: ref.Server.Host, Port: int32(ref.Server.Port)})
	if err != nil {
		return fmt.Errorf("load database server %s:%d: %w", ref.Server.Host, ref.Server.Port, db.NotFound(err))
	}
	tpl, err := a.createDatabase(ctx, srv, ref.Server, ref.name(), nil)
	if err != nil {
		return err
	}
	// Cloned from the template: at its version, so no rollout needs to look at it.
	return q.TenantSetSchemaVersion(ctx, db.TenantSetSchemaVersionParams{ID: ref.TenantID, SchemaVersion: &tpl.Version})
}

// SeedInput is the default data of a new tenant database.
type SeedInput struct {
	Ref         DatabaseRef
	CompanyName string
	AdminEmail  string
	AdminName   string
}

// Seed writes the default company and the admin user, connected as the tenant's
// own role; unique keys make a rerun change nothing.
func (a *Databases) Seed(ctx context.Context, in SeedInput) error {
	defer keepAlive(ctx)()
	if err := a.Delay.pause(ctx, "seed_tenant"); err != nil {
		return err
	}
	password, err := a.password(ctx, in.Ref.TenantID, false)
	if err != nil {
		return err
	}
	return a.Servers.Seed(ctx, in.Ref.Server, in.Ref.name(), password, tenantdb.SeedData{Name: in.CompanyName, AdminEmail: in.AdminEmail, AdminName: in.AdminName})
}

// Drop removes the tenant's database and roles, and the pooled database it
// claimed if that was not renamed yet; absent ones are fine, so it can run
// any number of times.
func (a *Databases) Drop(ctx context.Context, ref DatabaseRef) error {
	defer keepAlive(ctx)()
	w, err := db.New(a.Pool).WarmDatabaseOfTenant(ctx, &ref.TenantID)
	if err == nil {
		if err := a.Servers.Drop(ctx, ref.Server, tenantdb.WarmName(w.ID)); err != nil {
			return err
		}
	} else if !errors.Is(db.NotFound(err), db.ErrNotFound) {
		return fmt.Errorf("look up the pooled database of %s: %w", ref.TenantID, err)
	}
	return a.Servers.Drop(ctx, ref.Server, ref.name())
}

// DropPlaced is Drop of the tenant's database on the server it was placed on;
// a tenant never placed has nothing to drop.
func (a *Databases) DropPlaced(ctx context.Context, tenantID uuid.UUID) error {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, tenantID)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", tenantID, err)
	}
	if t.DatabaseServerID == nil {
		return nil
	}
	srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
	if err != nil {
		return fmt.Errorf("load database server of %s: %w", tenantID, err)
	}
	return a.Drop(ctx, DatabaseRef{TenantID: tenantID, Server: tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}})
}

// password returns the tenant database password, generating and storing it
// (first writer wins) when create is set and none is stored yet.
func (a *Databases) password(ctx context.Context, tenantID uuid.UUID, create bool) (string, error) {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, tenantID)
	if err != nil {
		return "", fmt.Errorf("load tenant %s: %w", tenantID, db.NotFound(err))
	}
	if t.DatabasePasswordEnc == nil {
		if !create {
			return "", fmt.Errorf("tenant %s has no database password yet", tenantID)
		}
		if _, err := q.TenantSetDatabasePassword(ctx, db.TenantSetDatabasePasswordParams{
			ID: tenantID, DatabasePasswordEnc: a.newPassword(),
		}); err != nil {
			return "", fmt.Errorf("store database password of %s: %w", tenantID, err)
		}
		if t, err = q.TenantGet(ctx, tenantID); err != nil {
			return "", fmt.Errorf("reload tenant %s: %w", tenantID, err)
		}
	}
	plain, err := a.Box.Open(t.DatabasePasswordEnc)
	if err != nil {
		return "", permanent(ErrInconsistency, "tenant database password cannot be opened with LANDLORD_SECRET_KEY", err)
	}
	return string(plain), nil
}

// FitInput asks whether a tenant's usage fits a plan.
type FitInput struct {
	Ref      DatabaseRef
	PlanCode string
}

// CheckFit fails with "invalid_input", listing every violated limit in its
// details, when the tenant uses more companies or users than plan allows. It
// only reads.
func (a *Databases) CheckFit(ctx context.Context, in FitInput) error {
	plan, err := db.New(a.Pool).PlanGet(ctx, in.PlanCode)
	if err != nil {
		return fmt.Errorf("load plan %s: %w", in.PlanCode, err)
	}
	u, err := a.Servers.Usage(ctx, in.Ref.Server, in.Ref.name())
	if err != nil {
		return err
	}
	v := lifecycle.Violations(lifecycle.Usage(u), planLimits(plan))
	if len(v) > 0 {
		return permanent(ErrInvalidInput, "current usage does not fit plan "+plan.PlanCode, nil, map[string]any{"violations": v})
	}
	return nil
}

// planLimits are a plan's limits on what a tenant holds.
func planLimits(p db.SubscriptionPlan) lifecycle.Limits {
	l := lifecycle.Limits{MaxCompanies: int(p.MaxCompanies), MaxUsersPerCompany: int(p.MaxUsersPerCompany)}
	if p.MaxTotalUsers != nil {
		l.MaxTotalUsers = ptr(int(*p.MaxTotalUsers))
	}
	return l
}
