package billing

import (
	"fmt"
	"time"
)

// Billing cycles.
const (
	Monthly = "monthly"
	Annual  = "annual"
)

// Directions of a plan change.
const (
	Upgrade   = "upgrade"
	Downgrade = "downgrade"
)

// Terms are a plan on a billing cycle.
type Terms struct {
	Plan         string
	PlanName     string
	Cycle        string
	MonthlyCents int64 // the plan's monthly price: its rank among plans
	AnnualCents  int64
}

// Price is what one period of the terms costs.
func (t Terms) Price() int64 {
	if t.Cycle == Annual {
		return t.AnnualCents
	}
	return t.MonthlyCents
}

func (t Terms) label() string { return fmt.Sprintf("%s (%s)", t.PlanName, t.Cycle) }

// PeriodEnd is the end of a billing period of cycle that starts at start.
func PeriodEnd(start time.Time, cycle string) time.Time {
	if cycle == Annual {
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// Line is one line of an invoice or a quote; credits are negative.
type Line struct {
	Description string
	AmountCents int64
	PeriodStart time.Time
	PeriodEnd   time.Time
}

// Prorate is the part of amount that covers at..end of the period start..end:
// amount × seconds left / seconds in the period, rounded half up to the cent.
// It is 0 from the period's end on and the whole amount up to its start.
func Prorate(amount int64, start, end, at time.Time) int64 {
	total := end.Unix() - start.Unix()
	left := end.Unix() - at.Unix()
	switch {
	case total <= 0 || left <= 0:
		return 0
	case left >= total:
		return amount
	}
	return (2*amount*left + total) / (2 * total)
}

// Direction says whether moving from one set of terms to another is an upgrade:
// a dearer plan is, and on the same plan monthly to annual is.
func Direction(from, to Terms) string {
	switch {
	case to.MonthlyCents > from.MonthlyCents:
		return Upgrade
	case to.MonthlyCents < from.MonthlyCents:
		return Downgrade
	case from.Cycle == Monthly && to.Cycle == Annual:
		return Upgrade
	}
	return Downgrade
}

// Change is what an immediate plan change costs.
type Change struct {
	Lines       []Line
	NetCents    int64     // sum of the lines: > 0 is invoiced, < 0 becomes credit balance
	PeriodStart time.Time // the tenant's period once the change applies
	PeriodEnd   time.Time
}

// ChangeNow prices moving from one set of terms to another at instant at,
// inside the period start..end for which paid cents were paid: a credit for
// the unused part of the old terms, never more than was paid, and a charge for
// the rest of the period on the new ones. When the cycle changes, a new period
// starts at at and the new terms are charged in full.
func ChangeNow(from, to Terms, start, end, at time.Time, paid int64) Change {
	at = at.Truncate(time.Second)
	c := Change{PeriodStart: start, PeriodEnd: end}
	if credit := min(Prorate(from.Price(), start, end, at), max(paid, 0)); credit > 0 {
		c.Lines = append(c.Lines, Line{Description: "Unused time on " + from.label(), AmountCents: -credit, PeriodStart: at, PeriodEnd: end})
	}
	if from.Cycle != to.Cycle {
		c.PeriodStart, c.PeriodEnd = at, PeriodEnd(at, to.Cycle)
		if to.Price() > 0 {
			c.Lines = append(c.Lines, Line{Description: to.label(), AmountCents: to.Price(), PeriodStart: c.PeriodStart, PeriodEnd: c.PeriodEnd})
		}
	} else if charge := Prorate(to.Price(), start, end, at); charge > 0 {
		c.Lines = append(c.Lines, Line{Description: "Remaining time on " + to.label(), AmountCents: charge, PeriodStart: at, PeriodEnd: end})
	}
	for _, l := range c.Lines {
		c.NetCents += l.AmountCents
	}
	return c
}

// FirstPeriod prices a whole period of terms starting at start: a trial that
// ends, or a renewal. start is kept as given, so a renewal starts exactly
// where the period before it ended.
func FirstPeriod(to Terms, start time.Time) Change {
	end := PeriodEnd(start, to.Cycle)
	return Change{
		Lines:       []Line{{Description: to.label(), AmountCents: to.Price(), PeriodStart: start, PeriodEnd: end}},
		NetCents:    to.Price(),
		PeriodStart: start,
		PeriodEnd:   end,
	}
}

// ApplyCredit takes what it can of balance against subtotal: the credit used
// and what is left to pay.
func ApplyCredit(balance, subtotal int64) (used, total int64) {
	used = min(max(balance, 0), max(subtotal, 0))
	return used, subtotal - used
}
