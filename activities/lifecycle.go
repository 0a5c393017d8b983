package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/backup"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/tenantdb"
)

// Lifecycle are the activities that move a tenant through trial end,
// renewal, suspension, reactivation and offboarding.
type Lifecycle struct {
	Pool    *pgxpool.Pool
	Servers *tenantdb.Servers
	Backups backup.Store
	Delay   StepDelay
}

// TenantState is what lifecycle workflows decide on.
type TenantState struct {
	Status           lifecycle.Status
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

// lockTenant loads the tenant under its row lock, with its open invoices
// counted, as the lifecycle decisions read it.
func lockTenant(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Tenant, lifecycle.Tenant, error) {
	t, err := q.TenantGetForUpdate(ctx, id)
	if err != nil {
		return t, lifecycle.Tenant{}, fmt.Errorf("load tenant %s: %w", id, db.NotFound(err))
	}
	open, err := q.InvoiceCountOpenByTenant(ctx, t.ID)
	if err != nil {
		return t, lifecycle.Tenant{}, fmt.Errorf("count open invoices of %s: %w", id, err)
	}
	return t, lifecycle.Tenant{Status: t.Status, ResumeStatus: derefStatus(t.ResumeStatus), SuspensionReason: deref(t.SuspensionReason),
		SuspendedAt: t.SuspendedAt, TrialEndsAt: t.TrialEndsAt, GraceUntil: t.GraceUntil, HasPaymentMethod: t.PaymentMethod != nil,
		OpenInvoices: int(open)}, nil
}

func derefStatus(s *lifecycle.Status) lifecycle.Status {
	if s == nil {
		return ""
	}
	return *s
}

// statusChange is one status change with what travels with it.
type statusChange struct {
	event            lifecycle.Event
	to               lifecycle.Status
	who              lifecycle.Who
	suspensionReason *string
	resumeStatus     *lifecycle.Status
	graceUntil       *time.Time
	reason           string // in the status history
	actor            string
	action           string // the audit action
	details          map[string]any
}

// setStatus writes a status change the lifecycle table allows from the
// tenant's status as read under its row lock, with its history and audit rows,
// in the caller's transaction. Anything the table does not have is refused
// before the database (whose trigger holds the same table) is asked.
func setStatus(ctx context.Context, q *db.Queries, t db.Tenant, c statusChange) (db.Tenant, error) {
	if err := lifecycle.Check(t.Status, c.event, c.to, c.who); err != nil {
		return t, permanent(ErrConflict, err.Error(), err)
	}
	moved, err := q.TenantSetStatus(ctx, db.TenantSetStatusParams{ID: t.ID, Status: c.to, FromStatus: t.Status,
		SuspensionReason: c.suspensionReason, ResumeStatus: c.resumeStatus, GraceUntil: c.graceUntil})
	if err != nil {
		return t, fmt.Errorf("move %s from %s to %s: %w", t.ID, t.Status, c.to, err)
	}
	if t.Status.IsLive() && !c.to.IsLive() { // its users' sessions end with the move, in its transaction
		if _, err := q.UserSessionRevokeTenant(ctx, db.UserSessionRevokeTenantParams{TenantID: t.ID, RevokedReason: ptr("the tenant is " + string(c.to))}); err != nil {
			return t, fmt.Errorf("end the sessions of %s: %w", t.ID, err)
		}
	}
	return moved, recordTransition(ctx, q, t.ID, t.Status, c.to, c.reason, c.actor, c.action, c.details)
}

// SuspendInput asks for a tenant to be suspended.
type SuspendInput struct {
	TenantID uuid.UUID
	Reason   string
	Actor    string
	Now      time.Time
}

// Suspend marks the tenant suspended, with history and audit, if the reason
// still holds under the tenant's row lock (lifecycle.SuspensionDue), and
// remembers where it would come back to. It reports whether it suspended; a
// tenant that paid in the meantime is left alone, and so is a rerun.
func (a *Lifecycle) Suspend(ctx context.Context, in SuspendInput) (bool, error) {
	var done bool
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.SuspensionWho(in.Reason)); err != nil {
			return err
		}
		t, lt, err := lockTenant(ctx, q, in.TenantID)
		if err != nil || !lifecycle.SuspensionDue(lt, in.Reason, in.Now) {
			return err
		}
		resume := lifecycle.ResumeTo(t.Status)
		_, err = setStatus(ctx, q, t, statusChange{event: lifecycle.Suspend, to: lifecycle.Suspended, who: lifecycle.SuspensionWho(in.Reason),
			suspensionReason: &in.Reason, resumeStatus: &resume, graceUntil: t.GraceUntil, reason: in.Reason, actor: in.Actor,
			action: "TENANT_SUSPENDED", details: map[string]any{"reason": in.Reason, "open_invoices": lt.OpenInvoices}})
		done = err == nil
		return err
	})
	if err == nil && done {
		cause := in.Reason
		if lifecycle.SuspensionWho(in.Reason) == lifecycle.Operator {
			cause = "operator" // an operator's reason is free text: not a label
		}
		metrics.Suspensions.WithLabelValues(cause).Inc()
	}
	return done, err
}

// ReactivateInput asks for a tenant to be let back in.
type ReactivateInput struct {
	TenantID uuid.UUID
	Actor    string
	Force    bool // an operator's decision: open invoices and cancellation do not stand in the way
	Now      time.Time
}

// Reactivation says what Reactivate did.
type Reactivation struct {
	Reactivated bool
	From        lifecycle.Status
	To          lifecycle.Status
	TrialOver   bool // back as a trial whose end has passed: its trial end is due now
}

// Reactivate lets a tenant back in under its row lock, with history and
// audit. On a payment (not forced): a past-due tenant, or one suspended for an
// overdue payment, once nothing is open (lifecycle.ReturnOnPayment). Forced
// (an operator): a suspended or cancelled tenant, back to the status it left
// (lifecycle.ReturnOnOperator), so a suspended trial is a trial again. Anything
// else, a tenant being archived included, is left alone, so a rerun changes nothing.
func (a *Lifecycle) Reactivate(ctx context.Context, in ReactivateInput) (Reactivation, error) {
	var r Reactivation
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, lt, err := lockTenant(ctx, q, in.TenantID)
		if err != nil {
			return err
		}
		ret, ok, who, reason := lifecycle.Return{}, false, lifecycle.System, "paid"
		if in.Force {
			if err := checkActor(ctx, q, in.Actor, in.TenantID, lifecycle.Operator); err != nil {
				return err
			}
			ret, ok = lifecycle.ReturnOnOperator(lt)
			who, reason = lifecycle.Operator, "operator"
		} else {
			ret, ok = lifecycle.ReturnOnPayment(lt)
		}
		if !ok {
			return nil
		}
		if _, err := setStatus(ctx, q, t, statusChange{event: ret.Event, to: ret.To, who: who, reason: reason, actor: in.Actor,
			action: "TENANT_REACTIVATED", details: map[string]any{"from": t.Status, "to": ret.To, "open_invoices": lt.OpenInvoices}}); err != nil {
			return err
		}
		lt.Status = ret.To
		r = Reactivation{Reactivated: true, From: t.Status, To: ret.To, TrialOver: lifecycle.TrialOver(lt, in.Now)}
		return nil
	})
	if err == nil && r.Reactivated {
		metrics.Reactivations.Inc()
	}
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
		switch {
		case t.Status.DatabaseBlocked():
			state = "blocked"
			return a.Servers.Block(ctx, server, *t.DatabaseName)
		case t.Status.DatabaseOpen():
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
// history and audit; a tenant already past due keeps its first deadline, and
// one in any other status is left alone.
func (a *Lifecycle) MarkPastDue(ctx context.Context, in PastDueInput) error {
	return db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, _, err := lockTenant(ctx, q, in.TenantID)
		if errors.Is(err, db.ErrNotFound) || t.Status != lifecycle.Active {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = setStatus(ctx, q, t, statusChange{event: lifecycle.ChargeFailed, to: lifecycle.PastDue, who: lifecycle.System,
			graceUntil: &in.GraceUntil, reason: "payment failed", actor: in.Actor, action: "TENANT_PAST_DUE",
			details: map[string]any{"grace_until": in.GraceUntil}})
		return err
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
	Skipped    bool // the tenant was no longer due: nothing was done
	Invoice    InvoiceRef
	Currency   string
	Plan       string
	Start      time.Time
	End        time.Time
	NotApplied *NotApplied // the pending plan the tenant's usage did not fit
}

// ErrBillingHeld is a period that cannot start yet: a plan change holds the
// tenant's billing. The activity is retried until the hold ends.
var ErrBillingHeld = errors.New("a plan change holds the tenant's billing")

// StartPeriod moves the tenant into its next period (applying a pending plan
// the tenant's usage fits; a trial takes its chosen plan or the cheapest paid
// one) and writes the period's invoice, in one transaction. The invoice key
// names the tenant and the period's start, so a rerun returns the same invoice
// and bills nothing twice. With a plan pending, the usage is counted and the
// period started under the locks the tenant's limited writes take, so no
// company or user slips in between: a renewal never ends over a limit. A
// pending plan the usage does not fit is dropped, the period renews on the
// current plan, and Period.NotApplied says why.
func (a *Lifecycle) StartPeriod(ctx context.Context, in PeriodInput) (Period, error) {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, in.TenantID)
	if err != nil {
		return Period{}, fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
	}
	if t.PendingPlanCode == nil || t.DatabaseServerID == nil || t.DatabaseName == nil {
		return a.startPeriod(ctx, in, nil)
	}
	srv, err := q.DatabaseServerGet(ctx, *t.DatabaseServerID)
	if err != nil {
		return Period{}, fmt.Errorf("load database server: %w", err)
	}
	var p Period
	err = a.Servers.WithUsageLocked(ctx, tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}, *t.DatabaseName, func(u tenantdb.Usage) error {
		var err error
		p, err = a.startPeriod(ctx, in, &u)
		return err
	})
	return p, err
}

// NotApplied is a pending plan a renewal dropped because the tenant's usage is over its limits.
type NotApplied struct {
	Plan       string
	Violations []lifecycle.Violation
}

// errUsageNeeded is a plan scheduled between StartPeriod's first read and its
// lock: the step runs again and counts the usage this time.
var errUsageNeeded = errors.New("a plan change was scheduled meanwhile: the usage must be counted")

func (a *Lifecycle) startPeriod(ctx context.Context, in PeriodInput, usage *tenantdb.Usage) (Period, error) {
	var p Period
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, err := q.TenantGetForUpdate(ctx, in.TenantID)
		if err != nil {
			return fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
		}
		if t.BillingHold != nil && t.BillingHoldUntil != nil && t.BillingHoldUntil.After(time.Now()) {
			return fmt.Errorf("%w: %s", ErrBillingHeld, *t.BillingHold) // retried until the plan change is done
		}
		var start time.Time
		switch {
		case in.Trial && t.Status == lifecycle.Trial && t.PaymentMethod != nil && t.TrialEndsAt != nil && !t.TrialEndsAt.After(in.Now):
			start = t.TrialEndsAt.UTC().Truncate(time.Second)
		case !in.Trial && in.ExpectedEnd != nil && t.CurrentPeriodEnd != nil && t.CurrentPeriodEnd.Equal(*in.ExpectedEnd) &&
			(t.Status == lifecycle.Active || t.Status == lifecycle.PastDue):
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
			if usage == nil {
				return errUsageNeeded
			}
			pending, err := q.PlanGet(ctx, *t.PendingPlanCode)
			if err != nil {
				return fmt.Errorf("load plan %s: %w", *t.PendingPlanCode, err)
			}
			over := lifecycle.Violations(lifecycle.Usage(*usage), planLimits(pending))
			if _, applied := lifecycle.RenewalPlan(t.PlanCode, pending.PlanCode, over); applied {
				planCode = pending.PlanCode
				if t.PendingBillingCycle != nil {
					cycle = *t.PendingBillingCycle
				}
			} else {
				p.NotApplied = &NotApplied{Plan: pending.PlanCode, Violations: over}
				if err := audit(ctx, q, t.ID, in.Actor, "PLAN_CHANGE_NOT_APPLIED", map[string]any{
					"plan": pending.PlanCode, "kept_plan": t.PlanCode, "violations": over}); err != nil {
					return err
				}
			}
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
		if t.Status == lifecycle.Trial {
			action = "TRIAL_CONVERTED"
			if err := q.TenantStatusHistoryInsert(ctx, db.TenantStatusHistoryInsertParams{TenantID: t.ID, FromStatus: &t.Status,
				ToStatus: lifecycle.Active, Reason: "trial converted", Actor: in.Actor}); err != nil {
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
		p = Period{Invoice: inv, Currency: plan.Currency, Plan: planCode, Start: first.PeriodStart, End: first.PeriodEnd, NotApplied: p.NotApplied}
		return nil
	})
	return p, err
}

func periodKey(tenantID uuid.UUID, start time.Time) string {
	return "period/" + tenantID.String() + "/" + start.UTC().Format(time.RFC3339)
}

// CancelInput cancels a tenant, if it is still as the offboarding found it.
type CancelInput struct {
	TenantID    uuid.UUID
	Reason      string     // lifecycle.OffboardRequested or OffboardUnpaid
	SuspendedAt *time.Time // unpaid: the suspension the sweep found
	Actor       string
}

// Cancel moves a tenant to cancelled (its data kept), with history and audit,
// under the row lock and only as lifecycle.CancellationDue allows: an
// operator's request cancels a live or suspended tenant; the calendar cancels
// only the unpaid suspension it found. It reports whether it cancelled;
// anything else, a rerun included, is left alone.
func (a *Lifecycle) Cancel(ctx context.Context, in CancelInput) (bool, error) {
	var done bool
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		t, lt, err := lockTenant(ctx, q, in.TenantID)
		if err != nil {
			return err
		}
		who, due := lifecycle.CancellationDue(lt, lifecycle.CancelExpect{Reason: in.Reason, SuspendedAt: in.SuspendedAt})
		if !due {
			return nil
		}
		if err := checkActor(ctx, q, in.Actor, in.TenantID, who); err != nil {
			return err
		}
		resume := lifecycle.ResumeTo(t.Status)
		if t.Status == lifecycle.Suspended {
			resume = lifecycle.ResumeTo(lt.ResumeStatus)
		}
		_, err = setStatus(ctx, q, t, statusChange{event: lifecycle.Cancel, to: lifecycle.Cancelled, who: who,
			suspensionReason: t.SuspensionReason, resumeStatus: &resume, reason: in.Reason, actor: in.Actor,
			action: "TENANT_CANCELLED", details: map[string]any{"reason": in.Reason}})
		done = err == nil
		return err
	})
	return done, err
}

// Backup starts archiving a cancelled tenant (from then on nothing brings it
// back), dumps its database, verifies that the dump restores, publishes it to
// the backup store under <database>/<cancellation time>.dump and records it.
// It returns false, doing nothing, when the tenant is neither cancelled nor
// already archiving: it came back during retention. The key is the same for
// every attempt, so a rerun after the dump was published records that one
// instead of taking another; the scratch database of a verification a killed
// worker left is dropped by the next attempt. It heartbeats with its stage.
func (a *Lifecycle) Backup(ctx context.Context, tenantID uuid.UUID) (bool, error) {
	var stage atomic.Value
	stage.Store("starting")
	defer keepAliveWith(ctx, &stage)()
	var t db.Tenant
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		var err error
		if t, _, err = lockTenant(ctx, q, tenantID); err != nil || t.Status != lifecycle.Cancelled {
			return err
		}
		t, err = setStatus(ctx, q, t, statusChange{event: lifecycle.BeginArchive, to: lifecycle.Archiving, who: lifecycle.System,
			suspensionReason: t.SuspensionReason, resumeStatus: t.ResumeStatus, reason: "retention over", actor: "workflow:offboarding",
			action: "TENANT_ARCHIVING", details: map[string]any{}})
		return err
	})
	if err != nil || t.Status != lifecycle.Archiving || t.DatabaseServerID == nil || t.DatabaseName == nil {
		return err == nil && t.Status == lifecycle.Archiving, err
	}
	key := *t.DatabaseName + "/" + derefOr(t.CancelledAt, t.CreatedAt).UTC().Format("20060102T150405Z") + ".dump"
	obj, err := a.Backups.Get(ctx, key)
	if errors.Is(err, backup.ErrNotFound) {
		obj, err = a.dump(ctx, t, key, func(s string) { stage.Store(s) })
	}
	if err != nil {
		return false, err
	}
	return true, db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		if _, err := q.TenantBackupInsert(ctx, db.TenantBackupInsertParams{TenantID: t.ID, DatabaseName: *t.DatabaseName,
			Path: obj.Location, SizeBytes: obj.SizeBytes, Sha256: obj.SHA256, VerifiedAt: time.Now()}); err != nil {
			return fmt.Errorf("record backup: %w", err)
		}
		return audit(ctx, q, t.ID, "workflow:offboarding", "BACKUP_TAKEN", map[string]any{"path": obj.Location, "size_bytes": obj.SizeBytes, "sha256": obj.SHA256})
	})
}

// dump takes and verifies a dump of the tenant's database in a scratch folder
// and publishes it under key.
func (a *Lifecycle) dump(ctx context.Context, t db.Tenant, key string, stage func(string)) (backup.Object, error) {
	srv, err := db.New(a.Pool).DatabaseServerGet(ctx, *t.DatabaseServerID)
	if err != nil {
		return backup.Object{}, fmt.Errorf("load database server: %w", err)
	}
	dir, err := os.MkdirTemp("", "landlord-backup-")
	if err != nil {
		return backup.Object{}, fmt.Errorf("make scratch folder: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := a.Servers.Dump(ctx, tenantdb.Server{Host: srv.Host, Port: int(srv.Port)}, *t.DatabaseName, dir, stage)
	if err != nil {
		return backup.Object{}, err
	}
	size, sum, err := backup.Digest(path)
	if err != nil {
		return backup.Object{}, fmt.Errorf("digest backup: %w", err)
	}
	stage("publishing")
	return a.Backups.Put(ctx, key, path, size, sum)
}

// Archive drops the database and role of a tenant being archived (its backup
// taken) and marks it archived, with history and audit. Dropping what is gone
// is fine, so it can rerun; a tenant in any other status is left alone.
func (a *Lifecycle) Archive(ctx context.Context, tenantID uuid.UUID) error {
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", tenantID, db.NotFound(err))
	}
	if t.Status != lifecycle.Archiving {
		return nil
	}
	if t.DatabaseServerID != nil && t.DatabaseName != nil {
		backups, err := q.TenantBackupList(ctx, tenantID)
		if err != nil {
			return fmt.Errorf("list backups of %s: %w", tenantID, err)
		}
		if !slices.ContainsFunc(backups, func(b db.TenantBackup) bool { return b.DatabaseName == *t.DatabaseName }) {
			return permanent(ErrInconsistency, "no verified backup of "+*t.DatabaseName+": it is not dropped", nil)
		}
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
		if err := a.Servers.DropScratch(ctx, server, *t.DatabaseName); err != nil {
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
		return recordTransition(ctx, q, tenantID, lifecycle.Archiving, lifecycle.Archived, "backed up and dropped", "workflow:offboarding", "TENANT_ARCHIVED", map[string]any{})
	})
}
