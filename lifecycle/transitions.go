package lifecycle

import (
	"fmt"
	"slices"
)

// Event is what moves a tenant from one status to another.
type Event string

// The events of a tenant's life.
const (
	Onboarded        Event = "onboarded"         // onboarding finished: trial, or active on a paid plan
	OnboardingFailed Event = "onboarding_failed" // onboarding failed and was undone
	TrialConverted   Event = "trial_converted"   // the trial ended into a paid plan, or was ended early by choosing one
	ChargeFailed     Event = "charge_failed"     // a period's charge was declined: dunning starts
	Paid             Event = "paid"              // a payment left nothing open
	Resubscribed     Event = "resubscribed"      // an expired trial chose a plan and paid for it
	Suspend          Event = "suspend"           // blocked for a reason
	Reactivate       Event = "reactivate"        // an operator let a blocked tenant back in
	Cancel           Event = "cancel"            // offboarding starts: blocked, data kept
	BeginArchive     Event = "begin_archive"     // retention is over: backup and drop, no way back
	Archive          Event = "archive"           // backup taken, database and role dropped
)

// Who causes a transition.
type Who string

// The kinds of actor.
const (
	System      Who = "system"       // a workflow acting on the calendar or on a payment
	Operator    Who = "operator"     // the operator, through the API
	TenantAdmin Who = "tenant_admin" // the tenant's own admin, through the API
)

// Transition is one allowed move: from, on event, to, by any of who.
type Transition struct {
	From  Status
	Event Event
	To    Status
	Who   []Who
}

var (
	anyone      = []Who{System, Operator, TenantAdmin}
	system      = []Who{System}
	operator    = []Who{Operator}
	notTheAdmin = []Who{System, Operator}
	customer    = []Who{Operator, TenantAdmin}
)

// Transitions is the whole table: a status change not in it does not happen.
var Transitions = []Transition{
	{Provisioning, Onboarded, Trial, system},
	{Provisioning, Onboarded, Active, system},
	{Provisioning, OnboardingFailed, Failed, system},

	{Trial, TrialConverted, Active, anyone},
	{Active, ChargeFailed, PastDue, system},
	{PastDue, Paid, Active, system},
	{Suspended, Paid, Active, system},
	{Suspended, Resubscribed, Active, customer},

	{Trial, Suspend, Suspended, notTheAdmin},
	{Active, Suspend, Suspended, operator},
	{PastDue, Suspend, Suspended, notTheAdmin},
	{Suspended, Reactivate, Trial, operator},
	{Suspended, Reactivate, Active, operator},

	{Trial, Cancel, Cancelled, operator},
	{Active, Cancel, Cancelled, operator},
	{PastDue, Cancel, Cancelled, operator},
	{Suspended, Cancel, Cancelled, notTheAdmin},
	{Cancelled, Reactivate, Trial, operator},
	{Cancelled, Reactivate, Active, operator},
	{Cancelled, BeginArchive, Archiving, system},
	{Archiving, Archive, Archived, system},
}

// Allowed reports whether who may move a tenant from one status to another on event.
func Allowed(from Status, e Event, to Status, who Who) bool {
	return slices.ContainsFunc(Transitions, func(t Transition) bool {
		return t.From == from && t.Event == e && t.To == to && slices.Contains(t.Who, who)
	})
}

// Check is Allowed as an error that names what was refused.
func Check(from Status, e Event, to Status, who Who) error {
	if !Allowed(from, e, to, who) {
		return fmt.Errorf("%w: %s cannot %s a %s tenant to %s", ErrNotAllowed, who, e, from, to)
	}
	return nil
}

// ErrNotAllowed is a transition the table does not have.
var ErrNotAllowed = fmt.Errorf("transition not allowed")

// From lists the statuses event may start from, in the table's order.
func From(e Event) []Status {
	var out []Status
	for _, t := range Transitions {
		if t.Event == e && !slices.Contains(out, t.From) {
			out = append(out, t.From)
		}
	}
	return out
}

// Pair is a status change, whatever caused it.
type Pair struct{ From, To Status }

// Pairs lists every (from, to) the table allows, once each: what the database enforces.
func Pairs() []Pair {
	var out []Pair
	for _, t := range Transitions {
		if p := (Pair{t.From, t.To}); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
