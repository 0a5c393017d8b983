package notify

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRenderFillsEveryBlankOrFails(t *testing.T) {
	msgs, err := Render("plan_changed", Data{"company": "Acme", "admin_name": "Ana", "from": "Starter", "to": "Professional",
		"effective_at": "16 Nov 2026", "invoice": "INV-2026-000001", "total": Money(7500, "USD"), "credit": ""}, "ana@example.com", "+14155550123")
	require.NoError(t, err)
	require.Len(t, msgs, 1, "plan_changed has no SMS")
	assert.Equal(t, "Your plan is now Professional", msgs[0].Subject)
	assert.Contains(t, msgs[0].Body, "Invoice INV-2026-000001: USD 75.00 charged")
	assert.NotContains(t, msgs[0].Body, "credit balance")

	_, err = Render("plan_changed", Data{"company": "Acme"}, "ana@example.com", "")
	assert.Error(t, err, "a missing blank is an error, not an empty hole in a customer's email")
	_, err = Render("nope", Data{}, "a@example.com", "")
	assert.Error(t, err)

	msgs, err = Render("welcome", Data{"company": "Acme", "admin_name": "Ana", "subdomain": "acme", "trial_days": "",
		"url": "https://acme.erp.example.com"}, "ana@example.com", "+14155550123")
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.NotContains(t, msgs[0].Body, "trial")
	assert.Contains(t, msgs[0].Body, "Acme is ready at https://acme.erp.example.com", "where to sign in")
	assert.Equal(t, SMS, msgs[1].Channel)
}

func TestMoney(t *testing.T) {
	assert.Equal(t, "USD 75.00", Money(7500, "USD"))
	assert.Equal(t, "USD 0.05", Money(5, "USD"))
	assert.Equal(t, "-USD 1.99", Money(-199, "USD"))
}

// TestNoSMSCarriesTextSomeoneTyped renders every template's SMS with the
// blanks a signup or an operator writes (company, names, subdomain, reason)
// set to a marker: none may reach a phone.
func TestNoSMSCarriesTextSomeoneTyped(t *testing.T) {
	const marker = "Your bank account is locked, call"
	typed := map[string]bool{"company": true, "admin_name": true, "subdomain": true, "url": true, "reason": true, "plan": true, "over": true}
	for name, tpl := range templates {
		if tpl.sms == nil {
			continue
		}
		data := Data{}
		for _, k := range []string{"company", "admin_name", "subdomain", "url", "reason", "plan", "over", "trial_days", "ends_at",
			"days_left", "code", "tenant_id", "date", "until"} {
			data[k] = "x"
			if typed[k] {
				data[k] = marker
			}
		}
		msgs, err := Render(name, data, "a@example.com", "+14155550123")
		require.NoError(t, err, name)
		for _, m := range msgs {
			if m.Channel == SMS {
				assert.NotContains(t, m.Body, marker, "%s: the SMS carries typed text", name)
			}
		}
	}
}
