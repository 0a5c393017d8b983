package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
)

// Notifications are the activities of the notifications outbox.
type Notifications struct {
	Pool  *pgxpool.Pool
	Email notify.Sender // nil: email stays in the outbox
	SMS   notify.Sender // nil: SMS stays in the outbox
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
	msgs := []notify.Message{notify.Welcome(in.AdminEmail, in.AdminName, in.CompanyName, in.Subdomain, in.TrialDays)}
	if in.Phone != "" {
		msgs = append(msgs, notify.WelcomeSMS(in.Phone, in.CompanyName, in.Subdomain))
	}
	keys := make([]string, 0, len(msgs))
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		for _, m := range msgs {
			key := in.TenantID.String() + "/welcome/" + m.Channel
			if err := q.NotificationEnqueue(ctx, db.NotificationEnqueueParams{
				TenantID: &in.TenantID, Channel: m.Channel, Template: "welcome", Recipient: m.To,
				Subject: m.Subject, Body: m.Body, DedupeKey: key,
			}); err != nil {
				return fmt.Errorf("queue %s: %w", key, err)
			}
			keys = append(keys, key)
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
