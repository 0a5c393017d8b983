package workflows

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// SignInLinkInput asks for an email carrying a link that sets a user's
// password: an invitation (a new user's first password) or a reset.
type SignInLinkInput struct {
	TenantID uuid.UUID
	UserID   uuid.UUID
	Email    string
	Name     string
	Purpose  string // activities.LinkInvitation or activities.LinkReset
	Key      string // what makes the link unique for the user: the invitation, a reset's window
}

// SignInLinkResult is the outbox message that carries the link.
type SignInLinkResult struct {
	DedupeKey string
}

// SignInLinkWorkflowID is the ID of one link's sending: a second request for
// the same link (a retried API call, a reset asked twice in one window)
// joins the first.
func SignInLinkWorkflowID(in SignInLinkInput) string {
	return "sign-in-link/" + in.TenantID.String() + "/" + in.UserID.String() + "/" + in.Purpose + "/" + in.Key
}

// SignInLink queues the email with a new link (its secret never enters the
// history: the activity makes it and keeps only its hash) and delivers it.
func SignInLink(ctx workflow.Context, in SignInLinkInput) (*SignInLinkResult, error) {
	var key string
	link := activities.SignInLinkInput{TenantID: in.TenantID, UserID: in.UserID, Email: in.Email, Name: in.Name,
		Purpose: in.Purpose, Key: in.Key}
	if err := call(ctx, opts(10*time.Second, time.Hour), notif.QueueSignInLink, link, &key); err != nil {
		return nil, err
	}
	if key != "" {
		deliverAll(ctx, []string{key})
	}
	return &SignInLinkResult{DedupeKey: key}, nil
}
