package notify

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendGridPostsTheMailAndReturnsItsID(t *testing.T) {
	var got sgMail
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/v3/mail/send", r.URL.Path)
		assert.Equal(t, "Bearer SG.key", r.Header.Get("Authorization"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		w.Header().Set("X-Message-Id", "msg-42")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	id, err := NewSendGrid("SG.key", srv.URL+"/", "erp@example.com").Send(t.Context(),
		Message{Channel: Email, To: "ana@example.com", Subject: "Hi", Body: "Hello"})
	require.NoError(t, err)
	assert.Equal(t, "msg-42", id)
	assert.Equal(t, sgMail{
		Personalizations: []sgPersonalization{{To: []sgAddress{{Email: "ana@example.com"}}}},
		From:             sgAddress{Email: "erp@example.com"},
		Subject:          "Hi",
		Content:          []sgContent{{Type: "text/plain", Value: "Hello"}},
	}, got)
}

func TestTwilioPostsTheFormAndReturnsTheSID(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/2010-04-01/Accounts/AC123/Messages.json", r.URL.Path)
		user, pass, ok := r.BasicAuth()
		assert.True(t, ok)
		assert.Equal(t, "AC123", user)
		assert.Equal(t, "secret", pass)
		require.NoError(t, r.ParseForm())
		form = r.PostForm
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"sid":"SM9","status":"queued"}`)
	}))
	defer srv.Close()

	id, err := NewTwilio("AC123", "secret", srv.URL, "+15005550006").Send(t.Context(), Message{Channel: SMS, To: "+14155550123", Body: "ready"})
	require.NoError(t, err)
	assert.Equal(t, "SM9", id)
	assert.Equal(t, url.Values{"To": {"+14155550123"}, "From": {"+15005550006"}, "Body": {"ready"}}, form)
}

func TestProviderErrorsSayWhetherARetryCanHelp(t *testing.T) {
	status := http.StatusBadRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"errors":[{"message":"bad"}]}`)
	}))
	defer srv.Close()
	sg := NewSendGrid("k", srv.URL, "a@example.com")
	tw := NewTwilio("AC1", "t", srv.URL, "+1500")
	for _, s := range []Sender{sg, tw} {
		status = http.StatusBadRequest
		_, err := s.Send(t.Context(), Message{To: "x"})
		assert.True(t, errors.Is(err, ErrRejected), "%s 400: %v", s.Name(), err)
		for _, code := range []int{http.StatusTooManyRequests, http.StatusBadGateway} {
			status = code
			_, err = s.Send(t.Context(), Message{To: "x"})
			require.Error(t, err)
			assert.False(t, errors.Is(err, ErrRejected), "%s %d must be retryable: %v", s.Name(), code, err)
		}
	}
}
