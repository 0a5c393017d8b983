package billing

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var (
	starter      = Terms{Plan: "starter", PlanName: "Starter", Cycle: Monthly, MonthlyCents: 4900, AnnualCents: 49000}
	professional = Terms{Plan: "professional", PlanName: "Professional", Cycle: Monthly, MonthlyCents: 19900, AnnualCents: 199000}
	enterprise   = Terms{Plan: "enterprise", PlanName: "Enterprise", Cycle: Monthly, MonthlyCents: 59900, AnnualCents: 599000}
)

func annual(t Terms) Terms { t.Cycle = Annual; return t }

func day(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func amounts(c Change) []int64 {
	out := []int64{}
	for _, l := range c.Lines {
		out = append(out, l.AmountCents)
	}
	return out
}

func TestChangeNowExactCents(t *testing.T) {
	cases := []struct {
		name             string
		from, to         Terms
		start, end, at   time.Time
		lines            []int64
		net              int64
		newStart, newEnd time.Time
	}{
		{"mid-month upgrade (30-day month, half left)", starter, professional,
			day(2026, 11, 1, 0), day(2026, 12, 1, 0), day(2026, 11, 16, 0), []int64{-2450, 9950}, 7500, day(2026, 11, 1, 0), day(2026, 12, 1, 0)},
		{"last day of the period (12 hours left)", starter, professional,
			day(2026, 11, 1, 0), day(2026, 12, 1, 0), day(2026, 11, 30, 12), []int64{-82, 332}, 250, day(2026, 11, 1, 0), day(2026, 12, 1, 0)},
		{"leap-year February (15 of 29 days left)", starter, professional,
			day(2024, 2, 1, 0), day(2024, 3, 1, 0), day(2024, 2, 15, 0), []int64{-2534, 10293}, 7759, day(2024, 2, 1, 0), day(2024, 3, 1, 0)},
		{"31-day month (21 of 31 days left)", starter, professional,
			day(2026, 1, 1, 0), day(2026, 2, 1, 0), day(2026, 1, 11, 0), []int64{-3319, 13481}, 10162, day(2026, 1, 1, 0), day(2026, 2, 1, 0)},
		{"annual upgrade (183 of 365 days left)", annual(professional), annual(enterprise),
			day(2026, 1, 1, 0), day(2027, 1, 1, 0), day(2026, 7, 2, 0), []int64{-99773, 300321}, 200548, day(2026, 1, 1, 0), day(2027, 1, 1, 0)},
		{"monthly to annual starts a new annual period", starter, annual(starter),
			day(2026, 11, 1, 0), day(2026, 12, 1, 0), day(2026, 11, 16, 0), []int64{-2450, 49000}, 46550, day(2026, 11, 16, 0), day(2027, 11, 16, 0)},
		{"immediate downgrade leaves a credit", professional, starter,
			day(2026, 11, 1, 0), day(2026, 12, 1, 0), day(2026, 11, 16, 0), []int64{-9950, 2450}, -7500, day(2026, 11, 1, 0), day(2026, 12, 1, 0)},
		{"at the very start: whole prices", starter, professional,
			day(2026, 11, 1, 0), day(2026, 12, 1, 0), day(2026, 11, 1, 0), []int64{-4900, 19900}, 15000, day(2026, 11, 1, 0), day(2026, 12, 1, 0)},
	}
	for _, c := range cases {
		got := ChangeNow(c.from, c.to, c.start, c.end, c.at, c.from.Price())
		assert.Equal(t, c.lines, amounts(got), c.name)
		assert.Equal(t, c.net, got.NetCents, c.name)
		assert.Equal(t, c.newStart, got.PeriodStart, c.name)
		assert.Equal(t, c.newEnd, got.PeriodEnd, c.name)
	}
}

func TestDirection(t *testing.T) {
	assert.Equal(t, Upgrade, Direction(starter, professional))
	assert.Equal(t, Downgrade, Direction(enterprise, starter))
	assert.Equal(t, Upgrade, Direction(starter, annual(starter)))
	assert.Equal(t, Downgrade, Direction(annual(starter), starter))
	assert.Equal(t, Downgrade, Direction(annual(professional), starter))
	assert.Equal(t, Upgrade, Direction(annual(starter), professional))
}

func TestCreditBalanceAcrossTwoInvoices(t *testing.T) {
	balance := int64(7500) // the immediate downgrade above
	used, total := ApplyCredit(balance, 5000)
	assert.Equal(t, []int64{5000, 0}, []int64{used, total})
	balance -= used
	used, total = ApplyCredit(balance, 4900)
	assert.Equal(t, []int64{2500, 2400}, []int64{used, total})
	used, total = ApplyCredit(0, 4900)
	assert.Equal(t, []int64{0, 4900}, []int64{used, total})
}

// TestChangeNowNeverInventsMoney: over random plans, cycles and instants, the
// credit never exceeds what the old terms cost for the period, no charge line
// exceeds a full period of the new terms, and the net is the sum of the lines.
func TestChangeNowNeverInventsMoney(t *testing.T) {
	plans := []Terms{
		{Plan: "free", PlanName: "Free", MonthlyCents: 0, AnnualCents: 0}, starter, professional, enterprise,
		{Plan: "unlimited", PlanName: "Unlimited", MonthlyCents: 199900, AnnualCents: 1999000},
		{Plan: "odd", PlanName: "Odd", MonthlyCents: 333, AnnualCents: 3331},
	}
	cycles := []string{Monthly, Annual}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		from, to := plans[rng.IntN(len(plans))], plans[rng.IntN(len(plans))]
		from.Cycle, to.Cycle = cycles[rng.IntN(2)], cycles[rng.IntN(2)]
		start := time.Date(2020+rng.IntN(10), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
		end := PeriodEnd(start, from.Cycle)
		at := start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)) + 1)))
		paid := rng.Int64N(from.Price() + 1)
		c := ChangeNow(from, to, start, end, at, paid)
		var sum int64
		for _, l := range c.Lines {
			sum += l.AmountCents
			if l.AmountCents < 0 && -l.AmountCents > paid {
				t.Fatalf("credit %d exceeds the %d paid: %+v -> %+v at %v", l.AmountCents, paid, from, to, at)
			}
			if l.AmountCents > to.Price() {
				t.Fatalf("charge %d exceeds a full period %d: %+v -> %+v at %v", l.AmountCents, to.Price(), from, to, at)
			}
			if l.AmountCents == 0 {
				t.Fatalf("zero line: %+v", c)
			}
		}
		if sum != c.NetCents {
			t.Fatalf("net %d != sum of lines %d", c.NetCents, sum)
		}
		if !c.PeriodEnd.After(at) && at.Before(end) {
			t.Fatalf("period ends %v before the change at %v", c.PeriodEnd, at)
		}
	}
}

func TestRenewalsChainExactly(t *testing.T) {
	end := time.Date(2026, 10, 31, 2, 19, 29, 582549000, time.UTC) // a period that did not end on a whole second
	next := FirstPeriod(starter, end)
	assert.True(t, next.PeriodStart.Equal(end), "no gap and no overlap: %v after %v", next.PeriodStart, end)
	assert.True(t, FirstPeriod(starter, next.PeriodEnd).PeriodStart.Equal(next.PeriodEnd))
}

func TestChangeNowCreditsOnlyWhatWasPaid(t *testing.T) {
	start, end, at := day(2026, 11, 1, 0), day(2026, 12, 1, 0), day(2026, 11, 16, 0)
	unpaid := ChangeNow(professional, starter, start, end, at, 0)
	assert.Equal(t, []int64{2450}, amounts(unpaid), "a period never paid gives no credit")
	partly := ChangeNow(professional, starter, start, end, at, 4000)
	assert.Equal(t, []int64{-4000, 2450}, amounts(partly))
	paid := ChangeNow(professional, starter, start, end, at, professional.Price())
	assert.Equal(t, []int64{-9950, 2450}, amounts(paid))
}

func TestProrateEdges(t *testing.T) {
	s, e := day(2026, 11, 1, 0), day(2026, 12, 1, 0)
	assert.Equal(t, int64(0), Prorate(4900, s, e, e))
	assert.Equal(t, int64(0), Prorate(4900, s, e, e.Add(time.Hour)))
	assert.Equal(t, int64(4900), Prorate(4900, s, e, s.Add(-time.Hour)))
	assert.Equal(t, int64(1), Prorate(1, s, e, s.Add(15*24*time.Hour)), "half a cent rounds up")
	assert.Equal(t, int64(0), Prorate(1, s, e, s.Add(16*24*time.Hour)))
}
