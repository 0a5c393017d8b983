package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SendGrid sends email through SendGrid's v3 mail/send API.
type SendGrid struct {
	apiKey, baseURL, from string
	http                  *http.Client
}

// NewSendGrid returns a SendGrid sender; baseURL is SendGrid's API address.
func NewSendGrid(apiKey, baseURL, from string) *SendGrid {
	return &SendGrid{apiKey: apiKey, baseURL: strings.TrimRight(baseURL, "/"), from: from, http: &http.Client{Timeout: 15 * time.Second}}
}

// Name implements Sender.
func (*SendGrid) Name() string { return "sendgrid" }

type sgAddress struct {
	Email string `json:"email"`
}

type sgPersonalization struct {
	To []sgAddress `json:"to"`
}

type sgContent struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type sgMail struct {
	Personalizations []sgPersonalization `json:"personalizations"`
	From             sgAddress           `json:"from"`
	Subject          string              `json:"subject"`
	Content          []sgContent         `json:"content"`
}

// Send posts m to /v3/mail/send and returns SendGrid's X-Message-Id.
func (s *SendGrid) Send(ctx context.Context, m Message) (string, error) {
	mail := sgMail{
		Personalizations: []sgPersonalization{{To: []sgAddress{{Email: m.To}}}},
		From:             sgAddress{Email: s.from},
		Subject:          m.Subject,
		Content:          []sgContent{{Type: "text/plain", Value: m.Body}},
	}
	body, err := json.Marshal(mail)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.baseURL+"/v3/mail/send", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+s.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("sendgrid: %w", err)
	}
	defer resp.Body.Close()
	if err := statusError("sendgrid", resp); err != nil {
		return "", err
	}
	return resp.Header.Get("X-Message-Id"), nil
}

// statusError turns a non-2xx answer into an error, ErrRejected for the ones
// that will never succeed.
func statusError(provider string, resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		return fmt.Errorf("%s: %w: %d %s", provider, ErrRejected, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return fmt.Errorf("%s: %d %s", provider, resp.StatusCode, bytes.TrimSpace(msg))
}
