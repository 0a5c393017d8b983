package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/signin"
)

// What a sign-in link is for.
const (
	LinkInvitation = "invitation" // a new user's first password
	LinkReset      = "reset"      // a forgotten password
)

// SignInLinkInput asks for a link that sets a user's password, by email.
type SignInLinkInput struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	Email    string
	Name     string
	Purpose  string
	Key      string
}

// QueueSignInLink makes a single-use link that sets the user's password
// (keeping only its SHA-256, with its expiry) and queues the email that
// carries it, returning the message's dedupe key ("" when a limit withheld
// it). A rerun that finds the message queued adds nothing; one whose
// message was never queued replaces its link.
func (a *Notifications) QueueSignInLink(ctx context.Context, in SignInLinkInput) (string, error) {
	template, ttl := "invitation", signin.InvitationTTL
	switch in.Purpose {
	case LinkInvitation:
	case LinkReset:
		template, ttl = "password_reset", signin.ResetTTL
	default:
		return "", permanent(ErrInvalidInput, "unknown sign-in link purpose "+in.Purpose, nil)
	}
	q := db.New(a.Pool)
	t, err := q.TenantGet(ctx, in.TenantID)
	if err != nil {
		return "", fmt.Errorf("load tenant %s: %w", in.TenantID, db.NotFound(err))
	}
	key := in.UserID.String() + "/" + in.Key
	dedupe := t.ID.String() + "/" + template + "/" + key + "/" + notify.Email
	if n, err := q.NotificationGetByDedupeKey(ctx, dedupe); err == nil {
		if n.Status == "cancelled" {
			return "", nil
		}
		return dedupe, nil
	}
	plain, hash := signin.NewSecret()
	if err := q.SignInLinkCreate(ctx, db.SignInLinkCreateParams{Sha256: hash, TenantID: t.ID, UserID: in.UserID,
		Purpose: in.Purpose, DedupeKey: dedupe, ExpiresAt: time.Now().Add(ttl)}); err != nil {
		return "", fmt.Errorf("store the sign-in link of %s: %w", in.UserID, err)
	}
	url := a.urlOf(t.Subdomain)
	data := notify.Data{"name": in.Name, "company": t.TenantName, "url": url,
		"link": url + "/set-password#token=" + plain, "valid_for": validFor(ttl)}
	keys, err := a.queue(ctx, t, []outgoing{{template: template, key: key, data: data, email: in.Email}})
	if err != nil || len(keys) == 0 {
		return "", err
	}
	return keys[0], nil
}

func validFor(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	if d > time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}
