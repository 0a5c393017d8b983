package activities

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

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
	Limits
	TenantURL string // where a tenant's ERP answers, {subdomain} filled in (default http://{subdomain}.localhost)
}

// urlOf is where the tenant with subdomain signs in.
func (a *Notifications) urlOf(subdomain string) string {
	tpl := a.TenantURL
	if tpl == "" {
		tpl = "http://{subdomain}.localhost"
	}
	return strings.ReplaceAll(tpl, "{subdomain}", subdomain)
}

// Limits bound what the outbox sends; a message over one stays in the
// outbox, cancelled with the reason. Zero is no limit.
type Limits struct {
	SMSPerDay                int // SMS one tenant may be sent a day (UTC)
	EmailsPerRecipientPerDay int // emails to one address in 24 hours, every tenant's together
	SMSPerRecipientPerDay    int // SMS to one number in 24 hours, every tenant's together
	PerHour                  int // messages of every tenant in an hour
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

// QueueWelcome puts the first messages of a tenant in the outbox and returns
// their dedupe keys: to a verified address (an operator's tenant) the welcome
// email, to one that signed up a code that verifies it and says nothing the
// signup wrote; likewise, when there is a phone, the welcome SMS or a code. A
// rerun finds the keys and codes taken and adds nothing.
func (a *Notifications) QueueWelcome(ctx context.Context, in WelcomeInput) ([]string, error) {
	defer keepAlive(ctx)()
	t, err := db.New(a.Pool).TenantGet(ctx, in.TenantID)
	if err != nil {
		return nil, fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
	}
	data := notify.Data{"company": in.CompanyName, "admin_name": in.AdminName, "subdomain": in.Subdomain, "trial_days": ""}
	if in.TrialDays > 0 {
		data["trial_days"] = fmt.Sprint(in.TrialDays)
	}
	var out []outgoing
	email, phone := in.AdminEmail, in.Phone
	if t.EmailVerifiedAt == nil {
		out = append(out, outgoing{template: "verify_email", channel: notify.Email, to: email, code: newCode(notify.Email)})
		email = ""
	}
	if phone != "" && t.PhoneVerifiedAt == nil {
		out = append(out, outgoing{template: "verify_phone", channel: notify.SMS, to: phone, code: newCode(notify.SMS)})
		phone = ""
	}
	if email != "" || phone != "" {
		out = append(out, outgoing{template: "welcome", data: data, email: email, phone: phone})
	}
	return a.queue(ctx, t, out)
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
	return a.queue(ctx, t, []outgoing{{template: in.Template, key: in.Key, data: data, email: t.AdminEmail, phone: deref(t.Phone)}})
}

// outgoing is a template for a tenant's admin: rendered for email and phone,
// or, carrying a verification code, for one channel's recipient.
type outgoing struct {
	template, key string
	data          notify.Data
	email, phone  string
	channel, to   string // a code's channel and recipient
	code          string
	toOperator    bool // to the operator's own address: no verification of the tenant's
}

// newCode is a verification code: 26 letters and digits in an email (never
// guessed), 8 digits by SMS (typed on a phone; five wrong tries void it).
func newCode(channel string) string {
	if channel == notify.SMS {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		return fmt.Sprintf("%08d", binary.BigEndian.Uint64(b[:])%100_000_000)
	}
	return rand.Text()
}

func (a *Notifications) queue(ctx context.Context, t db.Tenant, out []outgoing) ([]string, error) {
	var keys []string
	err := db.InTx(ctx, a.Pool, func(q *db.Queries) error {
		keys = keys[:0]
		for _, o := range out {
			prefix := t.ID.String() + "/" + o.template + "/"
			if o.key != "" {
				prefix += o.key + "/"
			}
			email, phone := o.email, o.phone
			if o.code != "" {
				// A rerun keeps the first code: the message carrying it is queued already.
				sum := sha256.Sum256([]byte(o.code))
				n, err := q.VerificationCreate(ctx, db.VerificationCreateParams{TenantID: t.ID, Channel: o.channel, Recipient: o.to, CodeSha256: sum[:]})
				if err != nil {
					return fmt.Errorf("store the verification code of %s: %w", t.ID, err)
				}
				if n == 0 {
					keys = append(keys, prefix+o.channel)
					continue
				}
				o.data = notify.Data{"code": o.code, "tenant_id": t.ID.String()}
				if email, phone = "", ""; o.channel == notify.Email {
					email = o.to
				} else {
					phone = o.to
				}
			}
			if _, ok := o.data["url"]; !ok && o.code == "" {
				o.data["url"] = a.urlOf(t.Subdomain) // where the tenant signs in, in every message that names it
			}
			msgs, err := notify.Render(o.template, o.data, email, phone)
			if err != nil {
				return permanent(ErrInvalidInput, err.Error(), nil)
			}
			for _, m := range msgs {
				dedupe := prefix + m.Channel
				reason, err := a.withheld(ctx, q, t, o, m)
				if err != nil {
					return err
				}
				if reason != "" {
					if err := q.NotificationEnqueueWithheld(ctx, db.NotificationEnqueueWithheldParams{
						TenantID: &t.ID, Channel: m.Channel, Template: o.template, Recipient: m.To,
						Subject: m.Subject, Body: m.Body, DedupeKey: dedupe, LastError: &reason,
					}); err != nil {
						return fmt.Errorf("withhold %s: %w", dedupe, err)
					}
					continue
				}
				if err := q.NotificationEnqueue(ctx, db.NotificationEnqueueParams{
					TenantID: &t.ID, Channel: m.Channel, Template: o.template, Recipient: m.To,
					Subject: m.Subject, Body: m.Body, DedupeKey: dedupe,
				}); err != nil {
					return fmt.Errorf("queue %s: %w", dedupe, err)
				}
				keys = append(keys, dedupe)
			}
		}
		return nil
	})
	return keys, err
}

// withheld says why a message may not go out ("withheld: …"), or "" when it may:
// an unverified recipient (but for its code), then the limits.
func (a *Notifications) withheld(ctx context.Context, q *db.Queries, t db.Tenant, o outgoing, m notify.Message) (string, error) {
	switch {
	case o.toOperator || o.code != "":
	case m.Channel == notify.Email && t.EmailVerifiedAt == nil:
		return "withheld: the address is not verified", nil
	case m.Channel == notify.SMS && t.PhoneVerifiedAt == nil:
		return "withheld: the number is not verified", nil
	}
	if err := q.NotificationLockRecipient(ctx, m.To); err != nil {
		return "", fmt.Errorf("lock the limits of a recipient: %w", err)
	}
	now := time.Now().UTC()
	if m.Channel == notify.SMS && a.SMSPerDay > 0 {
		sent, err := q.NotificationCountSMSSince(ctx, db.NotificationCountSMSSinceParams{TenantID: &t.ID, CreatedAt: now.Truncate(24 * time.Hour)})
		if err != nil {
			return "", fmt.Errorf("count SMS of %s: %w", t.ID, err)
		}
		if sent >= int32(a.SMSPerDay) {
			return fmt.Sprintf("withheld: %d SMS a day is the limit", a.SMSPerDay), nil
		}
	}
	perRecipient := a.EmailsPerRecipientPerDay
	if m.Channel == notify.SMS {
		perRecipient = a.SMSPerRecipientPerDay
	}
	if perRecipient > 0 {
		n, err := q.NotificationCountToSince(ctx, db.NotificationCountToSinceParams{Recipient: m.To, Channel: m.Channel, CreatedAt: now.Add(-24 * time.Hour)})
		if err != nil {
			return "", fmt.Errorf("count messages to a recipient: %w", err)
		}
		if n >= int32(perRecipient) {
			return fmt.Sprintf("withheld: %d messages a day to one %s recipient is the limit", perRecipient, m.Channel), nil
		}
	}
	if a.PerHour > 0 {
		n, err := q.NotificationCountSince(ctx, now.Add(-time.Hour))
		if err != nil {
			return "", fmt.Errorf("count messages: %w", err)
		}
		if n >= int32(a.PerHour) {
			return fmt.Sprintf("withheld: %d messages an hour is the limit", a.PerHour), nil
		}
	}
	return "", nil
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
