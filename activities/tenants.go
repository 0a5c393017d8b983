package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/tenantdb"
)

// Tenants are the activities that change a tenant's row in the platform database.
type Tenants struct {
	Pool *pgxpool.Pool
}

// RegisterInput is a tenant to be registered.
type RegisterInput struct {
	TenantID         uuid.UUID
	TenantCode       string
	Name             string
	Subdomain        string
	AdminEmail       string
	AdminName        string
	Phone            string
	PlanCode         string
	BillingCycle     string
	AdminTokenHash   []byte
	AdminTokenPrefix string
	Actor            string
	RequestSHA256    []byte // the request's hash when it came with an Idempotency-Key
}

// RegisterResult is what onboarding needs to know of the tenant's plan.
type RegisterResult struct {
	TrialDays int
}

// Register inserts the tenant in status provisioning with its status history,
// audit row and admin token, in one transaction. The tenant id is the key: a
// second run finds the row and changes nothing. A taken subdomain or tenant code
// is a non-retryable "conflict".
func (a *Tenants) Register(ctx context.Context, in RegisterInput) (RegisterResult, error) {
	defer keepAlive(ctx)()
	var res RegisterResult
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) (err error) {
		res, err = RegisterTenant(ctx, q, in)
		return err
	})
	return res, err
}

// RegisterTenant is Register's work inside the caller's transaction on the
// operator path: the API registers a signup with it before it starts the
// onboarding, whose own Register then finds the row.
func RegisterTenant(ctx context.Context, q *db.Queries, in RegisterInput) (RegisterResult, error) {
	plan, err := q.PlanGet(ctx, in.PlanCode)
	if err != nil || !plan.IsActive {
		if errors.Is(db.NotFound(err), db.ErrNotFound) || err == nil {
			return RegisterResult{}, permanent(ErrInvalidInput, fmt.Sprintf("unknown plan %q", in.PlanCode), nil)
		}
		return RegisterResult{}, fmt.Errorf("look up plan %s: %w", in.PlanCode, err)
	}
	res := RegisterResult{TrialDays: int(plan.TrialDays)}
	var phone *string
	if in.Phone != "" {
		phone = &in.Phone
	}
	n, err := q.TenantInsert(ctx, db.TenantInsertParams{
		ID: in.TenantID, TenantCode: in.TenantCode, TenantName: in.Name, Subdomain: in.Subdomain,
		BillingCycle: in.BillingCycle, AdminEmail: in.AdminEmail, AdminName: in.AdminName,
		Phone: phone, PlanCode: in.PlanCode, RequestSha256: in.RequestSHA256,
		ContactsVouched: strings.HasPrefix(in.Actor, "operator:"), // an operator vouches for what it typed
	})
	if constraint, dup := db.UniqueViolation(err); dup {
		field := "subdomain"
		if strings.Contains(constraint, "code") {
			field = "tenant_code"
		}
		return res, permanent(ErrConflict, field+" is already taken", nil)
	}
	if err != nil {
		return res, fmt.Errorf("insert tenant %s: %w", in.TenantID, err)
	}
	if n == 0 {
		return res, nil // registered before: by the API, or an earlier attempt of this activity
	}
	err = recordTransition(ctx, q, in.TenantID, "", lifecycle.Provisioning, "signup", in.Actor, "TENANT_REGISTERED",
		map[string]any{"plan": in.PlanCode, "billing_cycle": in.BillingCycle, "subdomain": in.Subdomain})
	if err != nil {
		return res, err
	}
	tokID, err := q.APITokenInsert(ctx, db.APITokenInsertParams{
		TokenHash: in.AdminTokenHash, Prefix: in.AdminTokenPrefix, Role: "tenant_admin",
		TenantID: &in.TenantID, Name: "admin (signup)", CreatedBy: in.Actor,
	})
	if err != nil {
		return res, fmt.Errorf("store admin token of %s: %w", in.TenantID, err)
	}
	return res, audit(ctx, q, in.TenantID, in.Actor, "TOKEN_CREATED", map[string]any{"token_id": tokID, "role": "tenant_admin",
		"name": "admin (signup)", "created_by": in.Actor})
}

// Registered is the RegisterInput of a tenant already registered, for
// starting its onboarding again from the row (its admin token is stored).
func Registered(t db.Tenant, actor string) RegisterInput {
	in := RegisterInput{TenantID: t.ID, TenantCode: t.TenantCode, Name: t.TenantName, Subdomain: t.Subdomain,
		AdminEmail: t.AdminEmail, AdminName: t.AdminName, PlanCode: t.PlanCode, BillingCycle: t.BillingCycle,
		Actor: actor, RequestSHA256: t.RequestSha256}
	if t.Phone != nil {
		in.Phone = *t.Phone
	}
	return in
}

// Placement is where a tenant's database lives.
type Placement struct {
	ServerID uuid.UUID
	Server   tenantdb.Server
	Database string // also the name of the tenant's role
}

// Place chooses the database server of a tenant: the active shared server with
// the fewest live tenants, or an empty dedicated server for a dedicated plan.
// A tenant already placed keeps its server, so a second run returns the first
// answer.
func (a *Tenants) Place(ctx context.Context, tenantID uuid.UUID) (Placement, error) {
	defer keepAlive(ctx)()
	p, _, err := place(ctx, a.Pool, tenantID)
	return p, err
}

// place is Place, also returning the chosen server's row.
func place(ctx context.Context, pool *pgxpool.Pool, tenantID uuid.UUID) (p Placement, srv db.DatabaseServer, err error) {
	err = db.InTx(ctx, pool, func(q *db.Queries) error {
		p, srv, _, err = placeIn(ctx, q, tenantID)
		return err
	})
	return p, srv, err
}

// placeIn is place inside the caller's transaction; it also returns the
// tenant's row, locked until the transaction ends.
func placeIn(ctx context.Context, q *db.Queries, tenantID uuid.UUID) (Placement, db.DatabaseServer, db.Tenant, error) {
	var srv db.DatabaseServer
	t, err := q.TenantGetForUpdate(ctx, tenantID)
	if err != nil {
		return Placement{}, srv, t, fmt.Errorf("load tenant %s: %w", tenantID, db.NotFound(err))
	}
	if t.DatabaseServerID != nil {
		if srv, err = q.DatabaseServerGet(ctx, *t.DatabaseServerID); err != nil {
			return Placement{}, srv, t, fmt.Errorf("load database server: %w", err)
		}
	} else if srv, err = pickServer(ctx, q, t); err != nil {
		return Placement{}, srv, t, err
	}
	p := Placement{ServerID: srv.ID, Server: tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}, Database: tenantdb.Name(tenantID)}
	return p, srv, t, nil
}

// pickServer chooses the server of an unplaced tenant and records it in its row.
func pickServer(ctx context.Context, q *db.Queries, t db.Tenant) (db.DatabaseServer, error) {
	plan, err := q.PlanGet(ctx, t.PlanCode)
	if err != nil {
		return db.DatabaseServer{}, fmt.Errorf("load plan %s: %w", t.PlanCode, err)
	}
	if err := q.DatabaseServerLock(ctx); err != nil {
		return db.DatabaseServer{}, fmt.Errorf("lock placement: %w", err)
	}
	kind := "shared"
	if plan.DatabaseStrategy == "dedicated" {
		kind = "dedicated"
	}
	picked, err := q.DatabaseServerPick(ctx, kind)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return picked, permanent(ErrNoCapacity, "no active "+kind+" database server has room for the tenant", nil)
	}
	if err != nil {
		return picked, fmt.Errorf("pick database server: %w", err)
	}
	name := tenantdb.Name(t.ID)
	if _, err := q.TenantSetPlacement(ctx, db.TenantSetPlacementParams{
		ID: t.ID, DatabaseServerID: &picked.ID, DatabaseName: &name, DatabaseRole: &name,
	}); err != nil {
		return picked, fmt.Errorf("store placement of %s: %w", t.ID, err)
	}
	return picked, nil
}

// ActivateInput ends onboarding.
type ActivateInput struct {
	TenantID uuid.UUID
	Now      time.Time // the workflow's clock
	Actor    string
}

// ActivateResult is the tenant's state once onboarding is done.
type ActivateResult struct {
	Status      lifecycle.Status
	TrialEndsAt *time.Time
}

// Activate moves a provisioning tenant to trial (a plan with trial days) or
// active (a paid plan: the first period starts now), writing status history and
// the TENANT_ONBOARDED audit row in the same transaction. A tenant already past
// provisioning is returned as it is, so a second run changes nothing.
func (a *Tenants) Activate(ctx context.Context, in ActivateInput) (ActivateResult, error) {
	defer keepAlive(ctx)()
	var res ActivateResult
	var created time.Time
	var first bool
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		created = t.CreatedAt
		if t.Status != lifecycle.Provisioning {
			res = ActivateResult{Status: t.Status, TrialEndsAt: t.TrialEndsAt}
			return nil
		}
		plan, err := q.PlanGet(ctx, t.PlanCode)
		if err != nil {
			return fmt.Errorf("load plan %s: %w", t.PlanCode, err)
		}
		details := map[string]any{"plan": t.PlanCode, "database": t.DatabaseName}
		if plan.TrialDays > 0 {
			ends := in.Now.AddDate(0, 0, int(plan.TrialDays)).UTC().Truncate(time.Second)
			if t, err = q.TenantStartTrial(ctx, db.TenantStartTrialParams{ID: in.TenantID, TrialEndsAt: &ends}); err != nil {
				return fmt.Errorf("start trial of %s: %w", in.TenantID, err)
			}
			details["trial_ends_at"] = ends
		} else {
			start := in.Now.UTC().Truncate(time.Second)
			end := billing.PeriodEnd(start, t.BillingCycle)
			if t, err = q.TenantActivate(ctx, db.TenantActivateParams{ID: in.TenantID, CurrentPeriodStart: &start, CurrentPeriodEnd: &end}); err != nil {
				return fmt.Errorf("activate %s: %w", in.TenantID, err)
			}
			details["current_period_end"] = end
		}
		details["status"] = t.Status
		first = true
		res = ActivateResult{Status: t.Status, TrialEndsAt: t.TrialEndsAt}
		return recordTransition(ctx, q, in.TenantID, lifecycle.Provisioning, t.Status, "onboarding complete", in.Actor, "TENANT_ONBOARDED", details)
	})
	if err == nil && first {
		metrics.OnboardingFinished.WithLabelValues(string(res.Status)).Inc()
		metrics.OnboardingDuration.Observe(time.Since(created).Seconds())
	}
	return res, err
}

// FailInput ends a failed onboarding.
type FailInput struct {
	TenantID uuid.UUID
	Reason   string
	Actor    string
}

// MarkFailed moves a provisioning tenant to failed, clears its placement and
// secrets, revokes its tokens, and writes history and audit in one transaction.
// A tenant no longer provisioning is left alone, so a second run changes nothing.
func (a *Tenants) MarkFailed(ctx context.Context, in FailInput) error {
	var changed bool
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if _, err := q.TenantGetForUpdate(ctx, in.TenantID); err != nil {
			if errors.Is(db.NotFound(err), db.ErrNotFound) {
				return nil // never registered: nothing to mark
			}
			return fmt.Errorf("load tenant %s: %w", in.TenantID, err)
		}
		_, err := q.TenantMarkFailed(ctx, db.TenantMarkFailedParams{ID: in.TenantID, OnboardingError: &in.Reason})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark %s failed: %w", in.TenantID, err)
		}
		if err := q.APITokenRevokeForTenant(ctx, &in.TenantID); err != nil {
			return fmt.Errorf("revoke tokens of %s: %w", in.TenantID, err)
		}
		if err := q.NotificationCancelQueued(ctx, &in.TenantID); err != nil {
			return fmt.Errorf("cancel notifications of %s: %w", in.TenantID, err)
		}
		changed = true
		return recordTransition(ctx, q, in.TenantID, lifecycle.Provisioning, lifecycle.Failed, in.Reason, in.Actor, "ONBOARDING_FAILED",
			map[string]any{"error": in.Reason})
	})
	if err == nil && changed {
		metrics.OnboardingFinished.WithLabelValues("failed").Inc()
	}
	return err
}

// recordTransition writes the status history row and the audit row of a status change.
func recordTransition(ctx context.Context, q *db.Queries, tenantID uuid.UUID, from, to lifecycle.Status, reason, actor, action string, details map[string]any) error {
	var fromPtr *lifecycle.Status
	if from != "" {
		fromPtr = &from
	}
	if err := q.TenantStatusHistoryInsert(ctx, db.TenantStatusHistoryInsertParams{
		TenantID: tenantID, FromStatus: fromPtr, ToStatus: to, Reason: reason, Actor: actor,
	}); err != nil {
		return fmt.Errorf("record status of %s: %w", tenantID, err)
	}
	return audit(ctx, q, tenantID, actor, action, details)
}

func audit(ctx context.Context, q *db.Queries, tenantID uuid.UUID, actor, action string, details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	if err := q.AuditInsert(ctx, db.AuditInsertParams{TenantID: &tenantID, Actor: actor, Action: action, Details: b}); err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, tenantID, err)
	}
	return nil
}
