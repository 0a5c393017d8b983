package lifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func TestTransitionTable(t *testing.T) {
	cases := []struct {
		from Status
		e    Event
		to   Status
		who  Who
		ok   bool
	}{
		{Provisioning, Onboarded, Trial, System, true},
		{Provisioning, Onboarded, Trial, Operator, false},
		{Trial, TrialConverted, Active, TenantAdmin, true},
		{Trial, Suspend, Suspended, System, true},
		{Active, Suspend, Suspended, System, false}, // landlord never suspends a paying tenant by itself
		{Active, Suspend, Suspended, Operator, true},
		{Suspended, Reactivate, Trial, Operator, true},
		{Suspended, Reactivate, Active, TenantAdmin, false},
		{Suspended, Paid, Active, System, true},
		{Suspended, Resubscribed, Active, TenantAdmin, true},
		{Cancelled, Reactivate, Active, Operator, true},
		{Archiving, Reactivate, Active, Operator, false}, // no way back once archiving began
		{Cancelled, BeginArchive, Archiving, System, true},
		{Cancelled, Archive, Archived, System, false}, // never dropped without passing through archiving
		{Archiving, Archive, Archived, System, true},
		{Active, Cancel, Cancelled, System, false}, // the calendar only cancels a suspended tenant
		{Suspended, Cancel, Cancelled, System, true},
		{Failed, Onboarded, Trial, System, false},
		{Archived, Reactivate, Active, Operator, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.ok, Allowed(c.from, c.e, c.to, c.who), "%s %s %s→%s", c.who, c.e, c.from, c.to)
		assert.Equal(t, c.ok, Check(c.from, c.e, c.to, c.who) == nil)
	}
}

func TestEveryStatusIsReachableAndTerminalsStayTerminal(t *testing.T) {
	reached := map[Status]bool{Provisioning: true}
	for _, tr := range Transitions {
		assert.True(t, tr.From.Valid() && tr.To.Valid(), "%v", tr)
		assert.NotEqual(t, tr.From, tr.To, "a transition changes the status: %v", tr)
		assert.NotEmpty(t, tr.Who, "%v", tr)
		reached[tr.To] = true
		assert.NotContains(t, []Status{Archived, Failed}, tr.From, "nothing leaves a terminal status")
	}
	for _, s := range Statuses {
		assert.True(t, reached[s], "%s is reachable", s)
	}
	assert.Equal(t, []Status{Trial, Active, PastDue, Suspended}, From(Cancel))
	assert.Equal(t, []Status{Suspended, Cancelled}, From(Reactivate))
}

func TestSuspensionDue(t *testing.T) {
	cases := []struct {
		name   string
		t      Tenant
		reason string
		due    bool
	}{
		{"trial over, no payment method", Tenant{Status: Trial, TrialEndsAt: at(-time.Second)}, ReasonTrialExpired, true},
		{"trial over, payment method on file", Tenant{Status: Trial, TrialEndsAt: at(-time.Second), HasPaymentMethod: true}, ReasonTrialExpired, false},
		{"trial not over", Tenant{Status: Trial, TrialEndsAt: at(time.Second)}, ReasonTrialExpired, false},
		{"trial already converted", Tenant{Status: Active, TrialEndsAt: at(-time.Hour)}, ReasonTrialExpired, false},
		{"grace over, invoice open", Tenant{Status: PastDue, GraceUntil: at(0), OpenInvoices: 1}, ReasonPaymentOverdue, true},
		{"grace over, paid meanwhile", Tenant{Status: PastDue, GraceUntil: at(0)}, ReasonPaymentOverdue, false},
		{"grace extended", Tenant{Status: PastDue, GraceUntil: at(time.Hour), OpenInvoices: 1}, ReasonPaymentOverdue, false},
		{"operator, live", Tenant{Status: Active}, "legal hold", true},
		{"operator, already suspended", Tenant{Status: Suspended}, "legal hold", false},
		{"operator, cancelled", Tenant{Status: Cancelled}, "legal hold", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.due, SuspensionDue(c.t, c.reason, now), c.name)
	}
	assert.Equal(t, System, SuspensionWho(ReasonPaymentOverdue))
	assert.Equal(t, Operator, SuspensionWho("legal hold"))
}

func TestReturnOnPayment(t *testing.T) {
	cases := []struct {
		name string
		t    Tenant
		ok   bool
	}{
		{"past due, all paid", Tenant{Status: PastDue}, true},
		{"past due, still owing", Tenant{Status: PastDue, OpenInvoices: 1}, false},
		{"suspended for an overdue payment, all paid", Tenant{Status: Suspended, SuspensionReason: ReasonPaymentOverdue}, true},
		{"suspended by an operator", Tenant{Status: Suspended, SuspensionReason: "legal hold"}, false},
		{"expired trial", Tenant{Status: Suspended, SuspensionReason: ReasonTrialExpired}, false},
		{"cancelled", Tenant{Status: Cancelled, SuspensionReason: ReasonPaymentOverdue}, false},
		{"active", Tenant{Status: Active}, false},
	}
	for _, c := range cases {
		r, ok := ReturnOnPayment(c.t)
		assert.Equal(t, c.ok, ok, c.name)
		if ok {
			assert.Equal(t, Return{Event: Paid, To: Active}, r, c.name)
			assert.True(t, Allowed(c.t.Status, r.Event, r.To, System), c.name)
		}
	}
}

func TestReturnOnOperatorGoesBackWhereTheTenantCameFrom(t *testing.T) {
	cases := []struct {
		name string
		t    Tenant
		to   Status
		ok   bool
	}{
		{"suspended trial stays a trial", Tenant{Status: Suspended, ResumeStatus: Trial, SuspensionReason: "fraud review"}, Trial, true},
		{"suspended paying tenant", Tenant{Status: Suspended, ResumeStatus: Active}, Active, true},
		{"suspended past-due tenant comes back active", Tenant{Status: Suspended, ResumeStatus: Active, SuspensionReason: ReasonPaymentOverdue, OpenInvoices: 1}, Active, true},
		{"cancelled trial", Tenant{Status: Cancelled, ResumeStatus: Trial}, Trial, true},
		{"cancelled, no record of where from", Tenant{Status: Cancelled}, Active, true},
		{"archiving", Tenant{Status: Archiving, ResumeStatus: Active}, "", false},
		{"active", Tenant{Status: Active}, "", false},
		{"past due", Tenant{Status: PastDue}, "", false},
	}
	for _, c := range cases {
		r, ok := ReturnOnOperator(c.t)
		assert.Equal(t, c.ok, ok, c.name)
		assert.Equal(t, c.to, r.To, c.name)
		if ok {
			assert.True(t, Allowed(c.t.Status, r.Event, r.To, Operator), c.name)
		}
	}
	assert.Equal(t, Trial, ResumeTo(Trial))
	assert.Equal(t, Active, ResumeTo(PastDue))
}

func TestTrialOver(t *testing.T) {
	assert.True(t, TrialOver(Tenant{Status: Trial, TrialEndsAt: at(0)}, now))
	assert.False(t, TrialOver(Tenant{Status: Trial, TrialEndsAt: at(time.Minute)}, now))
	assert.False(t, TrialOver(Tenant{Status: Active, TrialEndsAt: at(-time.Hour)}, now))
}

func TestCancellationDue(t *testing.T) {
	found := at(-30 * 24 * time.Hour)
	later := at(-time.Hour)
	cases := []struct {
		name string
		t    Tenant
		e    CancelExpect
		who  Who
		ok   bool
	}{
		{"requested, active", Tenant{Status: Active}, CancelExpect{Reason: OffboardRequested}, Operator, true},
		{"requested, suspended by the operator", Tenant{Status: Suspended, SuspensionReason: "legal hold"}, CancelExpect{Reason: OffboardRequested}, Operator, true},
		{"requested, already cancelled", Tenant{Status: Cancelled}, CancelExpect{Reason: OffboardRequested}, Operator, false},
		{"requested, archiving", Tenant{Status: Archiving}, CancelExpect{Reason: OffboardRequested}, Operator, false},
		{"unpaid, the suspension found", Tenant{Status: Suspended, SuspensionReason: ReasonPaymentOverdue, SuspendedAt: found}, CancelExpect{Reason: OffboardUnpaid, SuspendedAt: found}, System, true},
		{"unpaid, expired trial", Tenant{Status: Suspended, SuspensionReason: ReasonTrialExpired, SuspendedAt: found}, CancelExpect{Reason: OffboardUnpaid, SuspendedAt: found}, System, true},
		{"unpaid, but an operator's suspension", Tenant{Status: Suspended, SuspensionReason: "legal hold", SuspendedAt: found}, CancelExpect{Reason: OffboardUnpaid, SuspendedAt: found}, System, false},
		{"unpaid, but it paid", Tenant{Status: Active}, CancelExpect{Reason: OffboardUnpaid, SuspendedAt: found}, System, false},
		{"unpaid, paid and suspended again since", Tenant{Status: Suspended, SuspensionReason: ReasonPaymentOverdue, SuspendedAt: later}, CancelExpect{Reason: OffboardUnpaid, SuspendedAt: found}, System, false},
		{"unknown reason", Tenant{Status: Active}, CancelExpect{Reason: "whim"}, "", false},
	}
	for _, c := range cases {
		who, ok := CancellationDue(c.t, c.e)
		assert.Equal(t, c.ok, ok, c.name)
		if ok {
			assert.Equal(t, c.who, who, c.name)
			assert.True(t, Allowed(c.t.Status, Cancel, Cancelled, who), c.name)
		}
	}
}

func TestViolationsAndTheRenewalPlan(t *testing.T) {
	three := 3
	starter := Limits{MaxCompanies: 1, MaxUsersPerCompany: 5, MaxTotalUsers: &three}
	assert.Empty(t, Violations(Usage{Companies: 1, Users: 3, MaxUsersInACompany: 3}, starter))
	over := Violations(Usage{Companies: 3, Users: 4, MaxUsersInACompany: 2}, starter)
	assert.Equal(t, []Violation{{"max_companies", 3, 1}, {"max_total_users", 4, 3}}, over)
	assert.Empty(t, Violations(Usage{Companies: 1, Users: 500}, Limits{MaxCompanies: 1, MaxUsersPerCompany: 999}), "no total limit")

	plan, applied := RenewalPlan("professional", "starter", nil)
	assert.Equal(t, "starter", plan)
	assert.True(t, applied)
	plan, applied = RenewalPlan("professional", "starter", over)
	assert.Equal(t, "professional", plan, "a downgrade the usage does not fit is not applied")
	assert.False(t, applied)
	plan, applied = RenewalPlan("professional", "", nil)
	assert.Equal(t, "professional", plan)
	assert.False(t, applied)
}
