package lifecycle

import "time"

// Tenant is what the decisions read of a tenant.
type Tenant struct {
	Status           Status
	ResumeStatus     Status // where a suspended or cancelled tenant returns: Trial or Active
	SuspensionReason string
	SuspendedAt      *time.Time
	TrialEndsAt      *time.Time
	GraceUntil       *time.Time
	HasPaymentMethod bool
	OpenInvoices     int // draft or open
	CurrentPeriodEnd *time.Time
	CancelledAt      *time.Time
}

// SuspensionDue reports whether the tenant should be suspended for reason now:
// a trial that ended without a payment method, a past-due tenant whose grace
// is over with something still open, or (any other reason) an operator's
// decision on a live tenant.
func SuspensionDue(t Tenant, reason string, now time.Time) bool {
	switch reason {
	case ReasonTrialExpired:
		return t.Status == Trial && t.TrialEndsAt != nil && !t.TrialEndsAt.After(now) && !t.HasPaymentMethod
	case ReasonPaymentOverdue:
		return t.Status == PastDue && t.GraceUntil != nil && !t.GraceUntil.After(now) && t.OpenInvoices > 0
	}
	return t.Status.IsLive()
}

// SuspensionWho is who suspends for reason: landlord for its own reasons, else an operator.
func SuspensionWho(reason string) Who {
	if Unpaid(reason) {
		return System
	}
	return Operator
}

// ResumeTo is the status a tenant leaving from would come back to: a trial
// stays a trial (with its trial end), anything else comes back active.
func ResumeTo(from Status) Status {
	if from == Trial {
		return Trial
	}
	return Active
}

// Return is a decision to let a tenant back in.
type Return struct {
	Event Event
	To    Status
}

// ReturnOnPayment is what a payment that left the tenant owing Open invoices
// does: a past-due tenant, or one suspended for an overdue payment, comes back
// active once nothing is open. A payment lifts neither an operator's
// suspension nor an expired trial's (that one comes back by choosing a plan).
func ReturnOnPayment(t Tenant) (Return, bool) {
	if t.OpenInvoices > 0 {
		return Return{}, false
	}
	switch {
	case t.Status == PastDue, t.Status == Suspended && t.SuspensionReason == ReasonPaymentOverdue:
		return Return{Event: Paid, To: Active}, true
	}
	return Return{}, false
}

// ReturnOnOperator is an operator's reactivation: a suspended or cancelled
// tenant (but not one being archived) goes back to the status it left, so a
// suspended trial is a trial again.
func ReturnOnOperator(t Tenant) (Return, bool) {
	if t.Status != Suspended && t.Status != Cancelled {
		return Return{}, false
	}
	to := Active
	if t.ResumeStatus == Trial {
		to = Trial
	}
	return Return{Event: Reactivate, To: to}, true
}

// TrialOver reports whether a trial tenant's trial has ended by now, so its
// trial end is due at once.
func TrialOver(t Tenant, now time.Time) bool {
	return t.Status == Trial && t.TrialEndsAt != nil && !t.TrialEndsAt.After(now)
}

// Offboard reasons.
const (
	OffboardRequested = "requested" // the operator deleted the tenant
	OffboardUnpaid    = "unpaid"    // suspended and unpaid for too long
)

// CancelExpect is what an offboarding found when it decided to cancel: the
// cancellation happens only if it still holds.
type CancelExpect struct {
	Reason      string     // OffboardRequested or OffboardUnpaid
	SuspendedAt *time.Time // unpaid: the suspension the sweep found
}

// CancellationDue reports whether the tenant should be cancelled now, and who
// cancels. An operator's request cancels any live or suspended tenant. An
// unpaid offboarding cancels only a tenant still in the very suspension the
// sweep found, and only one landlord made for want of payment: a tenant that
// paid, or that an operator suspended, is never cancelled by the calendar.
func CancellationDue(t Tenant, e CancelExpect) (Who, bool) {
	switch e.Reason {
	case OffboardRequested:
		return Operator, t.Status.IsLive() || t.Status == Suspended
	case OffboardUnpaid:
		same := e.SuspendedAt != nil && t.SuspendedAt != nil && t.SuspendedAt.Equal(*e.SuspendedAt)
		return System, t.Status == Suspended && Unpaid(t.SuspensionReason) && same
	}
	return "", false
}
