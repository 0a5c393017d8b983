package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
)

// Sweeps page through the tenants that are due for a lifecycle step.
type Sweeps struct {
	Pool *pgxpool.Pool
}

// What a sweep looks for.
const (
	DueTrials         = "trials"          // trials ending before a cutoff (reminder lead included) whose trial end is not started
	DueTrialsOverdue  = "trials_overdue"  // trials still trials after their end: their trial end stopped
	DueRenewals       = "renewals"        // periods that have ended
	DueGraceOver      = "grace_over"      // past-due tenants whose grace has run out
	DueUnpaidSuspends = "unpaid_suspends" // tenants suspended since before a cutoff
	DueLive           = "live"            // every live tenant, in creation order
	DueUncollected    = "uncollected"     // period invoices whose collection stopped (due: the period's start)
	DueUnstarted      = "unstarted"       // tenants provisioning since a cutoff, with their registration (due: registered at)
)

// Cursor is where a page ends: the (due time, id) of its last tenant.
type Cursor struct {
	Due time.Time
	ID  uuid.UUID
}

// DueInput asks for one page.
type DueInput struct {
	Kind   string
	Before time.Time // due at or before this
	After  Cursor
	Limit  int
}

// DueTenant is one tenant due for a step.
type DueTenant struct {
	ID         uuid.UUID
	Due        time.Time
	Registered *RegisterInput // DueUnstarted: what its onboarding starts from
}

// DuePage is one page of due tenants, in (due, id) order.
type DuePage struct {
	Tenants []DueTenant
	Next    Cursor
	Last    bool
}

// Due reads one page of due tenants along the partial index of its kind, after
// the cursor; it only reads.
func (a *Sweeps) Due(ctx context.Context, in DueInput) (DuePage, error) {
	q := db.New(a.Pool)
	switch in.Kind {
	case DueTrials:
		return duePage(ctx, in, q.TenantListTrialsDue)
	case DueTrialsOverdue:
		return duePage(ctx, in, q.TenantListTrialsOverdue)
	case DueRenewals:
		return duePage(ctx, in, q.TenantListRenewalsDue)
	case DueGraceOver:
		return duePage(ctx, in, q.TenantListGraceOver)
	case DueUnpaidSuspends:
		return duePage(ctx, in, q.TenantListSuspendedSince)
	case DueUncollected:
		return duePage(ctx, in, q.InvoiceListUncollected)
	case DueUnstarted:
		rows, err := q.TenantListProvisioningSince(ctx, db.TenantListProvisioningSinceParams{Before: in.Before, AfterDue: in.After.Due, AfterID: in.After.ID, RowLimit: int32(in.Limit)})
		if err != nil {
			return DuePage{}, fmt.Errorf("list provisioning tenants: %w", err)
		}
		page := DuePage{Tenants: make([]DueTenant, 0, len(rows)), Next: in.After, Last: len(rows) < in.Limit}
		for _, r := range rows {
			t, err := q.TenantGet(ctx, r.ID)
			if err != nil {
				return DuePage{}, fmt.Errorf("load tenant %s: %w", r.ID, err)
			}
			reg := Registered(t, "workflow:sweep-trials")
			page.Tenants = append(page.Tenants, DueTenant{ID: r.ID, Due: r.Due, Registered: &reg})
			page.Next = Cursor{Due: r.Due, ID: r.ID}
		}
		return page, nil
	case DueLive:
		rows, err := q.TenantListLive(ctx, db.TenantListLiveParams{AfterCreated: in.After.Due, AfterID: in.After.ID, RowLimit: int32(in.Limit)})
		if err != nil {
			return DuePage{}, fmt.Errorf("list live tenants: %w", err)
		}
		page := DuePage{Tenants: make([]DueTenant, 0, len(rows)), Next: in.After, Last: len(rows) < in.Limit}
		for _, r := range rows {
			page.Tenants = append(page.Tenants, DueTenant{ID: r.ID, Due: r.CreatedAt})
			page.Next = Cursor{Due: r.CreatedAt, ID: r.ID}
		}
		return page, nil
	}
	return DuePage{}, permanent(ErrInvalidInput, "unknown sweep kind "+in.Kind, nil)
}

// The due-tenant queries share one shape of parameters and rows.
type (
	dueParams interface {
		~struct {
			Before   *time.Time
			AfterDue time.Time
			AfterID  uuid.UUID
			RowLimit int32
		}
	}
	dueRow interface {
		~struct {
			ID  uuid.UUID
			Due *time.Time
		}
	}
)

func duePage[P dueParams, R dueRow](ctx context.Context, in DueInput, list func(context.Context, P) ([]R, error)) (DuePage, error) {
	rows, err := list(ctx, P{Before: &in.Before, AfterDue: in.After.Due, AfterID: in.After.ID, RowLimit: int32(in.Limit)})
	if err != nil {
		return DuePage{}, fmt.Errorf("list due tenants (%s): %w", in.Kind, err)
	}
	page := DuePage{Tenants: make([]DueTenant, 0, len(rows)), Next: in.After, Last: len(rows) < in.Limit}
	for _, r := range rows {
		row := struct {
			ID  uuid.UUID
			Due *time.Time
		}(r)
		page.Tenants = append(page.Tenants, DueTenant{ID: row.ID, Due: *row.Due})
	}
	if n := len(page.Tenants); n > 0 {
		page.Next = Cursor{Due: page.Tenants[n-1].Due, ID: page.Tenants[n-1].ID}
	}
	return page, nil
}

// MarkStarted records that the tenants' trial ends run, so the trial sweep
// does not page them again while their end stays where it is.
func (a *Sweeps) MarkStarted(ctx context.Context, tenantIDs []uuid.UUID) error {
	if err := db.New(a.Pool).TenantMarkTrialEndStarted(ctx, tenantIDs); err != nil {
		return fmt.Errorf("mark trial ends started: %w", err)
	}
	return nil
}
