package activities_test

import (
	"fmt"
	"github.com/jackc/pgx/v5"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/testenv"
)

func TestSMSBeyondTheDailyLimitIsWithheldNotSent(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ctx := t.Context()
	in := registerInput("texted")
	in.Phone = "+14155550100"
	in.Actor = "operator:cli" // an operator vouches for the contacts it typed
	_, err := (&activities.Tenants{Pool: d.Pool}).Register(ctx, in)
	require.NoError(t, err)
	n := &activities.Notifications{Pool: d.Pool, Limits: activities.Limits{SMSPerDay: 1}, TenantURL: "https://{subdomain}.erp.example.com"}

	keys, err := n.QueueWelcome(ctx, activities.WelcomeInput{TenantID: in.TenantID, CompanyName: "A", Subdomain: "texted",
		AdminEmail: "a@example.com", AdminName: "A", Phone: in.Phone})
	require.NoError(t, err)
	assert.Len(t, keys, 2, "email and the day's one SMS")
	welcome, err := db.New(d.Pool).NotificationGetByDedupeKey(ctx, keys[0])
	require.NoError(t, err)
	assert.Contains(t, welcome.Body, "A is ready at https://texted.erp.example.com", "the welcome says where to sign in")
	keys, err = n.Queue(ctx, activities.NoticeInput{TenantID: in.TenantID, Template: "trial_reminder", Key: "2026-12-13",
		Data: notify.Data{"ends_at": "13 Dec 2026", "days_left": "3 days"}})
	require.NoError(t, err)
	assert.Len(t, keys, 1, "the email only: the SMS is over the limit")
	rows, err := db.New(d.Pool).NotificationListByTenant(ctx, db.NotificationListByTenantParams{TenantID: &in.TenantID, RowLimit: 10})
	require.NoError(t, err)
	withheld := 0
	for _, r := range rows {
		if r.Channel == notify.SMS && r.Status == "cancelled" {
			withheld++
			assert.Contains(t, *r.LastError, "1 SMS a day")
		}
	}
	assert.Equal(t, 1, withheld)
}

// TestUnverifiedContactsGetTheirCodeAndNothingTheSignupWrote: a signup with
// someone else's phone and a company name written to scare them reaches that
// phone with a fixed text and a code, once; nothing else goes out until the
// codes come back.
func TestUnverifiedContactsGetTheirCodeAndNothingTheSignupWrote(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ctx := t.Context()
	in := registerInput("scary")
	in.Name, in.AdminName, in.Phone = "Your bank account is locked, call +1 555 0100", "Bank security", "+14155550177"
	in.Actor = "signup:203.0.113.9"
	_, err := (&activities.Tenants{Pool: d.Pool}).Register(ctx, in)
	require.NoError(t, err)
	n := &activities.Notifications{Pool: d.Pool}
	welcome := activities.WelcomeInput{TenantID: in.TenantID, CompanyName: in.Name, Subdomain: in.Subdomain,
		AdminEmail: in.AdminEmail, AdminName: in.AdminName, Phone: in.Phone, TrialDays: 14}

	keys, err := n.QueueWelcome(ctx, welcome)
	require.NoError(t, err)
	again, err := n.QueueWelcome(ctx, welcome)
	require.NoError(t, err)
	assert.Equal(t, keys, again, "a rerun queues nothing new")
	rows, err := db.New(d.Pool).NotificationListByTenant(ctx, db.NotificationListByTenantParams{TenantID: &in.TenantID, RowLimit: 10})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	for _, r := range rows {
		assert.Contains(t, []string{"verify_email", "verify_phone"}, r.Template)
		assert.Equal(t, "queued", r.Status)
		assert.NotContains(t, r.Subject+r.Body, "bank", "nothing the signup wrote")
		assert.NotContains(t, r.Subject+r.Body, "Bank")
	}
	var codes int
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT count(*) FROM contact_verifications WHERE tenant_id = $1`, in.TenantID).Scan(&codes))
	assert.Equal(t, 2, codes, "one code per channel, kept across reruns")

	keys, err = n.Queue(ctx, activities.NoticeInput{TenantID: in.TenantID, Template: "trial_reminder", Key: "k",
		Data: notify.Data{"ends_at": "13 Dec 2026", "days_left": "3 days"}})
	require.NoError(t, err)
	assert.Empty(t, keys, "no reminder to an unverified address or number")

	// Verified (as POST /v1/tenants/{id}/verify does), the next notice goes out.
	for _, ch := range []struct{ channel, to string }{{"email", in.AdminEmail}, {"sms", in.Phone}} {
		_, err := db.New(d.Pool).TenantMarkContactVerified(ctx, db.TenantMarkContactVerifiedParams{ID: in.TenantID, Channel: ch.channel, Recipient: ch.to})
		require.NoError(t, err)
	}
	keys, err = n.Queue(ctx, activities.NoticeInput{TenantID: in.TenantID, Template: "trial_reminder", Key: "k2",
		Data: notify.Data{"ends_at": "13 Dec 2026", "days_left": "3 days"}})
	require.NoError(t, err)
	assert.Len(t, keys, 2)
}

// TestMessagesPerRecipientAndOverallAreCapped: many signups naming one
// address and one number (each its own tenant) reach them a few times a day,
// then are kept in the outbox, cancelled with the reason; so is anything past
// the hourly cap.
func TestMessagesPerRecipientAndOverallAreCapped(t *testing.T) {
	t.Parallel()
	d := testenv.NewDB(t)
	ctx := t.Context()
	n := &activities.Notifications{Pool: d.Pool, Limits: activities.Limits{EmailsPerRecipientPerDay: 2, SMSPerRecipientPerDay: 1, PerHour: 5}}
	sent := map[string]int{}
	for i := range 4 {
		in := registerInput(fmt.Sprintf("victim%d", i))
		in.AdminEmail, in.Phone, in.Actor = "victim@example.com", "+14155550188", "signup:203.0.113.9"
		_, err := (&activities.Tenants{Pool: d.Pool}).Register(ctx, in)
		require.NoError(t, err)
		keys, err := n.QueueWelcome(ctx, activities.WelcomeInput{TenantID: in.TenantID, CompanyName: in.Name, Subdomain: in.Subdomain,
			AdminEmail: in.AdminEmail, AdminName: in.AdminName, Phone: in.Phone})
		require.NoError(t, err)
		for _, k := range keys {
			sent[k[strings.LastIndex(k, "/")+1:]]++
		}
	}
	assert.Equal(t, map[string]int{"email": 2, "sms": 1}, sent)
	var reasons []string
	rows, err := d.Pool.Query(ctx, `SELECT last_error FROM notifications WHERE status = 'cancelled' ORDER BY created_at, channel`)
	require.NoError(t, err)
	reasons, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"withheld: 1 messages a day to one sms recipient is the limit",
		"withheld: 2 messages a day to one email recipient is the limit", "withheld: 1 messages a day to one sms recipient is the limit",
		"withheld: 2 messages a day to one email recipient is the limit", "withheld: 1 messages a day to one sms recipient is the limit"}, reasons)

	// Three messages went out; two more fill the hour, the sixth waits.
	for i := range 3 {
		in := registerInput(fmt.Sprintf("hour%d", i))
		in.AdminEmail, in.Actor = fmt.Sprintf("ops-%d@example.com", i), "operator:cli"
		_, err := (&activities.Tenants{Pool: d.Pool}).Register(ctx, in)
		require.NoError(t, err)
		keys, err := n.Queue(ctx, activities.NoticeInput{TenantID: in.TenantID, Template: "reactivated"})
		require.NoError(t, err)
		want := 1
		if i == 2 {
			want = 0
		}
		assert.Len(t, keys, want, i)
	}
	var last string
	require.NoError(t, d.Pool.QueryRow(ctx, `SELECT last_error FROM notifications WHERE template = 'reactivated' AND status = 'cancelled'`).Scan(&last))
	assert.Equal(t, "withheld: 5 messages an hour is the limit", last)
}
