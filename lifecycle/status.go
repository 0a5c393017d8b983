// Package lifecycle is the tenant's life as rules, with no I/O: its statuses,
// the transitions allowed between them and who may cause each, and the
// decisions the workflows act on. Activities load a tenant, ask this package,
// and write what it answers; the database holds the same transition table and
// refuses any other status change.
package lifecycle

import "slices"

// Status is where a tenant is in its life.
type Status string

// The statuses, in the order a tenant meets them.
const (
	Provisioning Status = "provisioning" // onboarding runs
	Trial        Status = "trial"        // free until its trial ends
	Active       Status = "active"       // paid up
	PastDue      Status = "past_due"     // a charge failed; dunning runs until grace ends
	Suspended    Status = "suspended"    // blocked: database closed, admin may only pay
	Cancelled    Status = "cancelled"    // offboarding: blocked, data kept for the retention period
	Archiving    Status = "archiving"    // backup and drop under way: no way back
	Archived     Status = "archived"     // database and role dropped, backup kept
	Failed       Status = "failed"       // onboarding failed and was undone
)

// Statuses lists every status.
var Statuses = []Status{Provisioning, Trial, Active, PastDue, Suspended, Cancelled, Archiving, Archived, Failed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// IsLive reports whether the tenant is served: its admins work, its database is open.
func (s Status) IsLive() bool { return s == Trial || s == Active || s == PastDue }

// DatabaseOpen reports whether the tenant's database should take its role's connections.
func (s Status) DatabaseOpen() bool { return s.IsLive() }

// DatabaseBlocked reports whether the tenant's database must stay closed.
func (s Status) DatabaseBlocked() bool { return s == Suspended || s == Cancelled || s == Archiving }

// HoldsNames reports whether the tenant still holds its subdomain and code.
func (s Status) HoldsNames() bool { return s != Failed && s != Archived }

// MayBeDeleted reports whether an operator's DELETE may start offboarding.
func (s Status) MayBeDeleted() bool { return s.IsLive() || s == Suspended || s == Cancelled }

// Suspension reasons landlord sets by itself; any other reason is an operator's.
const (
	ReasonTrialExpired   = "trial_expired"
	ReasonPaymentOverdue = "payment_overdue"
)

// Unpaid reports whether a suspension for reason is landlord's own for want of
// payment (so a payment may lift it and, left unpaid, it ends in offboarding),
// rather than an operator's, which only an operator lifts.
func Unpaid(reason string) bool {
	return reason == ReasonTrialExpired || reason == ReasonPaymentOverdue
}
