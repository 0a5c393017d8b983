package activities_test

import (
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
	_, err := (&activities.Tenants{Pool: d.Pool}).Register(ctx, in)
	require.NoError(t, err)
	n := &activities.Notifications{Pool: d.Pool, SMSPerDay: 1}

	keys, err := n.QueueWelcome(ctx, activities.WelcomeInput{TenantID: in.TenantID, CompanyName: "A", Subdomain: "texted",
		AdminEmail: "a@example.com", AdminName: "A", Phone: in.Phone})
	require.NoError(t, err)
	assert.Len(t, keys, 2, "email and the day's one SMS")
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
