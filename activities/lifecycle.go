package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// Lifecycle are the activities that move a tenant through trial end,
// renewal, suspension, reactivation and offboarding.
type Lifecycle struct {
	Pool      *pgxpool.Pool
	Servers   *tenantdb.Servers
	BackupDir string
	Delay     StepDelay
}

// Suspension reasons landlord sets by itself.
const (
	ReasonTrialExpired   = "trial_expired"
	ReasonPaymentOverdue = "payment_overdue"
)

// TenantState is what lifecycle workflows decide on.
type TenantState struct {
	Status           string
	TrialEndsAt      *time.Time
	HasPaymentMethod bool
	SuspendedAt      *time.Time
	SuspensionReason string
	Exists           bool
}

// State reads the tenant's lifecycle state; it only reads.
func (a *Lifecycle) State(ctx context.Context, tenantID uuid.UUID) (TenantState, error) {
	t, err := db.New(a.Pool).TenantGet(ctx, tenantID)
	if errors.Is(db.NotFound(err), db.ErrNotFound) {
		return TenantState{}, nil
	}
	if err != nil {
		return TenantState{}, fmt.Errorf("load tenant %s: %w", tenantID, err)
	}
	return TenantState{Status: t.Status, TrialEndsAt: t.TrialEndsAt, HasPaymentMethod: t.PaymentMethod != nil,
		SuspendedAt: t.SuspendedAt, SuspensionReason: deref(t.SuspensionReason), Exists: true}, nil
}

// SuspendInput asks for a tenant to be suspended.
type SuspendInput struct {
	TenantID uuid.UUID
	Reason   string
	Actor    string
	Now      time.Time
}

// Suspend marks the tenant suspended, with history and audit, if the reason
// still holds under the tenant's row lock: a trial that ended without a
// payment method, a past-due tenant whose grace is over with invoices still
// open, or (any other reason) an operator's decision on a live tenant. It
// reports whether it suspended; a tenant that paid in the meantime is left alone.
func (a *Lifecycle) Suspend(ctx context.Context, in SuspendInput) (bool, error) {
	var done bool
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		open, err := q.InvoiceCountOpenByTenant(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("count open invoices: %w", err)
		}
		var due bool
		switch in.Reason {
		case ReasonTrialExpired:
			due = t.Status == "trial" && t.TrialEndsAt != nil && !t.TrialEndsAt.After(in.Now) && t.PaymentMethod == nil
		case ReasonPaymentOverdue:
			due = t.Status == "past_due" && t.GraceUntil != nil && !t.GraceUntil.After(in.Now) && open > 0
		default:
			due = slices.Contains([]string{"trial", "active", "past_due"}, t.Status)
		}
		if !due {
			return nil
		}
		if _, err := q.TenantSetStatus(ctx, db.TenantSetStatusParams{ID: t.ID, Status: "suspended", SuspensionReason: &in.Reason,
			GraceUntil: t.GraceUntil, FromStatuses: []string{t.Status}}); err != nil {
			return fmt.Errorf("suspend %s: %w", t.ID, err)
		}
		done = true
		return recordTransition(ctx, q, t.ID, t.Status, "suspended", in.Reason, in.Actor, "TENANT_SUSPENDED",
			map[string]any{"reason": in.Reason, "open_invoices": open})
	})
	return done, err
}

// ReactivateInput asks for a tenant to be let back in.
type ReactivateInput struct {
	TenantID uuid.UUID
	Actor    string
	Force    bool // an operator's decision: open invoices and cancellation do not stand in the way
}

// Reactivation says what Reactivate did.
type Reactivation struct {
	Reactivated bool
	From        string
}

// Reactivate makes a past-due tenant, or one suspended for an overdue payment,
// active once no invoice is open, with history and audit, under the tenant's
// row lock. Forced (an operator), it also brings back a tenant suspended for
// any other reason, or cancelled, whatever is open. Anything else is left
// alone, so running it again changes nothing.
func (a *Lifecycle) Reactivate(ctx context.Context, in ReactivateInput) (Reactivation, error) {
	var r Reactivation
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		from := []string{"suspended", "past_due"}
		if in.Force {
			from = append(from, "cancelled")
		}
		if !slices.Contains(from, t.Status) {
			return nil
		}
		if t.Status == "suspended" && deref(t.SuspensionReason) != ReasonPaymentOverdue && !in.Force {
			return nil // paying debts does not undo an operator's suspension or an expired trial
		}
		open, err := q.InvoiceCountOpenByTenant(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("count open invoices: %w", err)
		}
		if open > 0 && !in.Force {
			return nil
		}
		if _, err := q.TenantSetStatus(ctx, db.TenantSetStatusParams{ID: t.ID, Status: "active", FromStatuses: []string{t.Status}}); err != nil {
			return fmt.Errorf("reactivate %s: %w", t.ID, err)
		}
		r = Reactivation{Reactivated: true, From: t.Status}
		reason := "paid"
		if in.Force {
			reason = "operator"
		}
		return recordTransition(ctx, q, t.ID, t.Status, "active", reason, in.Actor, "TENANT_REACTIVATED",
			map[string]any{"from": t.Status, "open_invoices": open})
	})
	return r, err
}

// ConvergeAccess makes the tenant's database match its status: closed for a
// suspended or cancelled tenant, open for a live one. It reads the status under
// a per-tenant advisory lock, so when a suspension and a reactivation race, the
// one that runs last applies the status that won.
func (a *Lifecycle) ConvergeAccess(ctx context.Context, tenantID uuid.UUID) (string, error) {
	if err := a.Delay.pause(ctx, "converge_access"); err != nil {
		return "", err
	}
	var state string
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if err := q.TenantLockAccess(ctx, tenantID.String()); err != nil {
			return fmt.Errorf("lock access of %s: %w", tenantID, err)
		}
		t, err := q.TenantGet(ctx, tenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", tenantID, db.NotFound(err))
		}
		if t.DatabaseServerID == nil || t.DatabaseName == nil {
			state = "none"
			return nil
		}
		srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
		if err != nil {
			return fmt.Errorf("load database server: %w", err)
		}
		server := tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}
		switch t.Status {
		case "suspended", "cancelled":
			state = "blocked"
			return a.Servers.Block(ctx, server, *t.DatabaseName)
		case "trial", "active", "past_due":
			state = "open"
			if err := a.Servers.Unblock(ctx, server, *t.DatabaseName); err != nil {
				return err
			}
			// A database closed across a release catches up with the tenant schema as it reopens.
			return a.Servers.MigrateForward(ctx, server, *t.DatabaseName)
		}
		state = "unchanged"
		return nil
	})
	return state, err
}

// PastDueInput marks a tenant whose charge failed.
type PastDueInput struct {
	TenantID   uuid.UUID
	GraceUntil time.Time
	Actor      string
}

// MarkPastDue moves an active tenant to past_due with its grace deadline,
// history and audit; a tenant already past due keeps its first deadline.
func (a *Lifecycle) MarkPastDue(ctx context.Context, in PastDueInput) error {
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantSetStatus(ctx, db.TenantSetStatusParams{ID: in.TenantID, Status: "past_due",
			GraceUntil: &in.GraceUntil, FromStatuses: []string{"active"}})
		if errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark %s past due: %w", in.TenantID, err)
		}
		return recordTransition(ctx, q, t.ID, "active", "past_due", "payment failed", in.Actor, "TENANT_PAST_DUE",
			map[string]any{"grace_until": in.GraceUntil})
	})
}

// PeriodInput starts a tenant's next paid period.
type PeriodInput struct {
	TenantID    uuid.UUID
	Trial       bool       // converting a trial rather than renewing
	ExpectedEnd *time.Time // renewal: the period end the sweep found
	Now         time.Time
	Actor       string
}

// Period is a started period and its invoice.
type Period struct {
	Skipped  bool // the tenant was no longer due: nothing was done
	Invoice  InvoiceRef
	Currency string
	Plan     string
	Start    time.Time
	End      time.Time
}

// StartPeriod moves the tenant into its next period (applying a pending plan;
// a trial takes its chosen plan or the cheapest paid one) and writes the
// period's invoice, in one transaction. The invoice key names the tenant and
// the period's start, so a rerun returns the same invoice and bills nothing twice.
func (a *Lifecycle) StartPeriod(ctx context.Context, in PeriodInput) (Period, error) {
	var p Period
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		var start time.Time
		switch {
		case in.Trial && t.Status == "trial" && t.PaymentMethod != nil && t.TrialEndsAt != nil && !t.TrialEndsAt.After(in.Now):
			start = t.TrialEndsAt.UTC().Truncate(time.Second)
		case !in.Trial && in.ExpectedEnd != nil && t.CurrentPeriodEnd != nil && t.CurrentPeriodEnd.Equal(*in.ExpectedEnd) &&
			(t.Status == "active" || t.Status == "past_due"):
			start = *t.CurrentPeriodEnd
		default:
			if in.ExpectedEnd != nil { // renewed by an earlier run: find its invoice
				if inv, err := q.InvoiceGetByKey(ctx, periodKey(t.ID, *in.ExpectedEnd)); err == nil {
					p = Period{Invoice: InvoiceRef{ID: inv.ID, Number: inv.Number, Status: inv.Status, TotalCents: inv.TotalCents}, Currency: inv.Currency,
						Plan: t.PlanCode, Start: *in.ExpectedEnd, End: derefOr(t.CurrentPeriodEnd, *in.ExpectedEnd)}
					return nil
				}
			}
			p.Skipped = true
			return nil
		}
		planCode, cycle := t.PlanCode, t.BillingCycle
		if t.PendingPlanCode != nil {
			planCode = *t.PendingPlanCode
		}
		if t.PendingBillingCycle != nil {
			cycle = *t.PendingBillingCycle
		}
		if in.Trial && t.PendingPlanCode == nil {
			cheapest, err := q.PlanCheapestPaid(ctx)
			if err != nil {
				return fmt.Errorf("find the cheapest paid plan: %w", err)
			}
			planCode = cheapest.PlanCode
		}
		plan, err := q.PlanGet(ctx, planCode)
		if err != nil {
			return fmt.Errorf("load plan %s: %w", planCode, err)
		}
		terms := billing.Terms{Plan: plan.PlanCode, PlanName: plan.PlanName, Cycle: cycle, MonthlyCents: plan.MonthlyPriceCents, AnnualCents: plan.AnnualPriceCents}
		first := billing.FirstPeriod(terms, start)
		if _, err := q.TenantRenewPeriod(ctx, db.TenantRenewPeriodParams{ID: t.ID, PlanCode: planCode, BillingCycle: cycle,
			PeriodStart: &first.PeriodStart, PeriodEnd: &first.PeriodEnd}); err != nil {
			return fmt.Errorf("start period of %s: %w", t.ID, err)
		}
		action := "SUBSCRIPTION_RENEWED"
		details := map[string]any{"plan": planCode, "cycle": cycle, "period_start": first.PeriodStart, "period_end": first.PeriodEnd,
			"previous_plan": t.PlanCode}
		if t.Status == "trial" {
			action = "TRIAL_CONVERTED"
			if err := q.TenantStatusHistoryInsert(ctx, db.TenantStatusHistoryInsertParams{TenantID: t.ID, FromStatus: &t.Status,
				ToStatus: "active", Reason: "trial converted", Actor: in.Actor}); err != nil {
				return fmt.Errorf("record status of %s: %w", t.ID, err)
			}
		}
		if err := audit(ctx, q, t.ID, in.Actor, action, details); err != nil {
			return err
		}
		inv, err := createInvoice(ctx, q, InvoiceInput{TenantID: t.ID, Key: periodKey(t.ID, first.PeriodStart), Currency: plan.Currency,
			Lines: first.Lines, PeriodStart: &first.PeriodStart, PeriodEnd: &first.PeriodEnd, Now: in.Now}, in.Actor)
		if err != nil {
			return err
		}
		p = Period{Invoice: inv, Currency: plan.Currency, Plan: planCode, Start: first.PeriodStart, End: first.PeriodEnd}
		return nil
	})
	return p, err
}

func periodKey(tenantID uuid.UUID, start time.Time) string {
	return "period/" + tenantID.String() + "/" + start.UTC().Format(time.RFC3339)
}

// CancelInput cancels a tenant.
type CancelInput struct {
	TenantID uuid.UUID
	Reason   string
	Actor    string
}

// Cancel moves a tenant to cancelled (its data kept), with history and audit;
// a tenant already cancelled, archived or never live is left alone.
func (a *Lifecycle) Cancel(ctx context.Context, in CancelInput) (bool, error) {
	var done bool
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		if !slices.Contains([]string{"trial", "active", "past_due", "suspended"}, t.Status) {
			return nil
		}
		if _, err := q.TenantSetStatus(ctx, db.TenantSetStatusParams{ID: t.ID, Status: "cancelled", SuspensionReason: t.SuspensionReason,
			FromStatuses: []string{t.Status}}); err != nil {
			return fmt.Errorf("cancel %s: %w", t.ID, err)
		}
		done = true
		return recordTransition(ctx, q, t.ID, t.Status, "cancelled", in.Reason, in.Actor, "TENANT_CANCELLED", map[string]any{"reason": in.Reason})
	})
	return done, err
}

// Backup dumps a cancelled tenant's database into the backup folder, verifies
// that it restores, and records it. It returns false, doing nothing, when the
// tenant is no longer cancelled.
func (a *Lifecycle) Backup(ctx context.Context, tenantID uuid.UUID) (bool, error) {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, tenantID)
	if err != nil {
		return false, fmt.Errorf("load tenant %s: %w", tenantID, db.NotFound(err))
	}
	if t.Status != "cancelled" || t.DatabaseServerID == nil || t.DatabaseName == nil {
		return false, nil
	}
	srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
	if err != nil {
		return false, fmt.Errorf("load database server: %w", err)
	}
	f, err := a.Servers.Backup(ctx, tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}, *t.DatabaseName, a.BackupDir)
	if err != nil {
		return false, err
	}
	return true, db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if _, err := q.TenantBackupInsert(ctx, db.TenantBackupInsertParams{TenantID: t.ID, DatabaseName: *t.DatabaseName,
			Path: f.Path, SizeBytes: f.SizeBytes, Sha256: f.SHA256, VerifiedAt: time.Now()}); err != nil {
			return fmt.Errorf("record backup: %w", err)
		}
		return audit(ctx, q, t.ID, "workflow:offboarding", "BACKUP_TAKEN", map[string]any{"path": f.Path, "size_bytes": f.SizeBytes, "sha256": f.SHA256})
	})
}

// Archive drops a cancelled tenant's database and role and marks it archived,
// with history and audit. Dropping what is gone is fine, so it can rerun.
func (a *Lifecycle) Archive(ctx context.Context, tenantID uuid.UUID) error {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", tenantID, db.NotFound(err))
	}
	if t.Status != "cancelled" {
		return nil
	}
	if t.DatabaseServerID != nil && t.DatabaseName != nil {
		srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
		if err != nil {
			return fmt.Errorf("load database server: %w", err)
		}
		server := tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}
		if err := a.Servers.DropDatabase(ctx, server, *t.DatabaseName); err != nil {
			return err
		}
		if err := a.Servers.DropRole(ctx, server, *t.DatabaseName); err != nil {
			return err
		}
	}
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if _, err := q.TenantArchive(ctx, tenantID); errors.Is(db.NotFound(err), db.ErrNotFound) {
			return nil
		} else if err != nil {
			return fmt.Errorf("archive %s: %w", tenantID, err)
		}
		if err := q.APITokenRevokeForTenant(ctx, &tenantID); err != nil {
			return fmt.Errorf("revoke tokens of %s: %w", tenantID, err)
		}
		return recordTransition(ctx, q, tenantID, "cancelled", "archived", "retention over", "workflow:offboarding", "TENANT_ARCHIVED", map[string]any{})
	})
}
