// Package notify delivers the messages of the notifications outbox through
// SendGrid (email) and Twilio (SMS).
package notify

import (
	"context"
	"errors"
)

// Channels a message goes out on.
const (
	Email = "email"
	SMS   = "sms"
)

// Message is one email or SMS.
type Message struct {
	Channel string
	To      string
	Subject string // email only
	Body    string
}

// Sender delivers messages of one channel.
type Sender interface {
	// Name is the provider's name, stored with the provider's message id.
	Name() string
	// Send delivers m and returns the provider's id for it.
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// ErrRejected marks a message the provider refused for good (a 4xx other than
// 429): sending it again cannot help.
var ErrRejected = errors.New("rejected by the provider")
