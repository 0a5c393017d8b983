package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
)

// Notifications are the activities of the notifications outbox.
type Notifications struct {
	Pool      *pgxpool.Pool
	Email     notify.Sender // nil: email stays in the outbox
	SMS       notify.Sender // nil: SMS stays in the outbox
	SMSPerDay int           // SMS a tenant may be sent a day (UTC); 0: no limit
}

// WelcomeInput is what the welcome messages say.
type WelcomeInput struct {
	TenantID    uuid.UUID
	CompanyName string
	Subdomain   string
	AdminEmail  string
	AdminName   string
	Phone       string
	TrialDays   int
}

// QueueWelcome puts the welcome email (and SMS when there is a phone) in the
// outbox under the dedupe keys <tenant>/welcome/<channel>, which it returns;
// a rerun finds the keys taken and adds nothing.
func (a *Notifications) QueueWelcome(ctx context.Context, in WelcomeInput) ([]string, error) {
	defer keepAlive(ctx)()
	data := notify.Data{"company": in.CompanyName, "admin_name": in.AdminName, "subdomain": in.Subdomain, "trial_days": ""}
	if in.TrialDays > 0 {
		data["trial_days"] = fmt.Sprint(in.TrialDays)
	}
	return a.queue(ctx, in.TenantID, "welcome", "", data, in.AdminEmail, in.Phone)
}

// NoticeInput is a message to a tenant's admin.
type NoticeInput struct {
	TenantID uuid.UUID
	Template string
	Key      string // what makes the message unique for the tenant: a period, an entity
	Data     notify.Data
}

// Queue renders a template for the tenant's admin (email, and SMS where the
// template has one and the tenant a phone) into the outbox under dedupe keys
// <tenant>/<template>/<key>/<channel>, which it returns; a rerun adds nothing.
// The admin's name and the company are filled in from the tenant.
func (a *Notifications) Queue(ctx context.Context, in NoticeInput) ([]string, error) {
	t, err := db.New(a.Pool).TenantGet(ctx, in.TenantID)
	if err != nil {
		return nil, fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
	}
	data := notify.Data{"company": t.TenantName, "admin_name": t.AdminName, "subdomain": t.Subdomain}
	for k, v := range in.Data {
		data[k] = v
	}
	return a.queue(ctx, in.TenantID, in.Template, in.Key, data, t.AdminEmail, deref(t.Phone))
}

func (a *Notifications) queue(ctx context.Context, tenantID uuid.UUID, template, key string, data notify.Data, email, phone string) ([]string, error) {
	msgs, err := notify.Render(template, data, email, phone)
	if err != nil {
		return nil, permanent(ErrInvalidInput, err.Error(), nil)
	}
	prefix := tenantID.String() + "/" + template + "/"
	if key != "" {
		prefix += key + "/"
	}
	keys := make([]string, 0, len(msgs))
	err = db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		for _, m := range msgs {
			dedupe := prefix + m.Channel
			if m.Channel == notify.SMS && a.SMSPerDay > 0 {
				today := time.Now().UTC().Truncate(24 * time.Hour)
				sent, err := q.NotificationCountSMSSince(ctx, db.NotificationCountSMSSinceParams{TenantID: &tenantID, CreatedAt: today})
				if err != nil {
					return fmt.Errorf("count SMS of %s: %w", tenantID, err)
				}
				if sent >= int32(a.SMSPerDay) {
					reason := fmt.Sprintf("withheld: %d SMS a day is the limit", a.SMSPerDay)
					if err := q.NotificationEnqueueWithheld(ctx, db.NotificationEnqueueWithheldParams{
						TenantID: &tenantID, Channel: m.Channel, Template: template, Recipient: m.To,
						Subject: m.Subject, Body: m.Body, DedupeKey: dedupe, LastError: &reason,
					}); err != nil {
						return fmt.Errorf("withhold %s: %w", dedupe, err)
					}
					continue
				}
			}
			if err := q.NotificationEnqueue(ctx, db.NotificationEnqueueParams{
				TenantID: &tenantID, Channel: m.Channel, Template: template, Recipient: m.To,
				Subject: m.Subject, Body: m.Body, DedupeKey: dedupe,
			}); err != nil {
				return fmt.Errorf("queue %s: %w", dedupe, err)
			}
			keys = append(keys, dedupe)
		}
		return nil
	})
	return keys, err
}

// Deliver sends the queued notification with dedupeKey through its channel's
// provider and marks it sent. One already sent (or cancelled) is not sent
// again; with no provider configured it stays queued. It returns the status.
func (a *Notifications) Deliver(ctx context.Context, dedupeKey string) (string, error) {
	q := db.New(a.Pool)
	n, err := q.NotificationGetByDedupeKey(ctx, dedupeKey)
	if err != nil {
		return "", fmt.Errorf("load notification %s: %w", dedupeKey, db.NotFound(err))
	}
	sender := a.Email
	if n.Channel == notify.SMS {
		sender = a.SMS
	}
	if n.Status != "queued" || sender == nil {
		return n.Status, nil
	}
	id, err := sender.Send(ctx, notify.Message{Channel: n.Channel, To: n.Recipient, Subject: n.Subject, Body: n.Body})
	if err != nil {
		msg := err.Error()
		if rerr := q.NotificationRecordFailure(ctx, db.NotificationRecordFailureParams{ID: n.ID, LastError: &msg}); rerr != nil {
			return "", errors.Join(err, rerr)
		}
		if errors.Is(err, notify.ErrRejected) {
			return "", permanent(ErrRejected, msg, nil)
		}
		return "", err
	}
	provider := sender.Name()
	if err := q.NotificationMarkSent(ctx, db.NotificationMarkSentParams{ID: n.ID, Provider: &provider, ProviderID: &id}); err != nil {
		return "", fmt.Errorf("mark %s sent: %w", dedupeKey, err)
	}
	return "sent", nil
}
