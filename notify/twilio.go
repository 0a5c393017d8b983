package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Twilio sends SMS through Twilio's Messages API.
type Twilio struct {
	sid, token, baseURL, from string
	http                      *http.Client
}

// NewTwilio returns a Twilio sender; baseURL is Twilio's API address.
func NewTwilio(sid, token, baseURL, from string) *Twilio {
	return &Twilio{sid: sid, token: token, baseURL: strings.TrimRight(baseURL, "/"), from: from, http: &http.Client{Timeout: 15 * time.Second}}
}

// Name implements Sender.
func (*Twilio) Name() string { return "twilio" }

// Send posts m to /2010-04-01/Accounts/{sid}/Messages.json and returns the message SID.
func (t *Twilio) Send(ctx context.Context, m Message) (string, error) {
	form := url.Values{"To": {m.To}, "From": {t.from}, "Body": {m.Body}}
	endpoint := t.baseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.sid) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(t.sid, t.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	if err := statusError("twilio", resp); err != nil {
		return "", err
	}
	var out struct {
		SID string `json:"sid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.SID == "" {
		return "", fmt.Errorf("twilio: answer without a message sid")
	}
	return out.SID, nil
}
