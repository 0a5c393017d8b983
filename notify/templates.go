package notify

import (
	"bytes"
	"fmt"
	"text/template"
)

// Data fills a template's blanks.
type Data map[string]string

type messageTemplate struct {
	subject, email, sms *template.Template // sms nil: email only
}

func parse(subject, email, sms string) messageTemplate {
	t := messageTemplate{
		subject: template.Must(template.New("subject").Option("missingkey=error").Parse(subject)),
		email:   template.Must(template.New("email").Option("missingkey=error").Parse(email)),
	}
	if sms != "" {
		t.sms = template.Must(template.New("sms").Option("missingkey=error").Parse(sms))
	}
	return t
}

// templates are every message landlord sends, by name. An SMS never carries
// text someone typed (a company name, a reason): a number is not verified by
// being given, and an SMS cannot be told from its sender.
var templates = map[string]messageTemplate{
	"welcome": parse(`Welcome to your ERP, {{.company}}`,
		`Hello {{.admin_name}},

{{.company}} is ready at {{.url}}
{{if .trial_days}}Your {{.trial_days}}-day free trial has started: every feature of your plan is yours to try.
{{end}}
Sign in with this email address to get started.
`,
		`Your ERP is ready. Check your email to sign in.`),
	// To a user of a tenant's ERP: a single-use link that sets a password.
	"invitation": parse(`You are invited to {{.company}}'s ERP`,
		`Hello {{.name}},

You have been added to {{.company}}'s ERP at {{.url}}
Choose your password here (the link works once, for {{.valid_for}}):

    {{.link}}

If you did not expect this, ignore this email.
`, ""),
	"password_reset": parse(`Set a new password`,
		`Hello {{.name}},

Someone (we hope you) asked to set a new password for {{.company}}'s ERP at {{.url}}
Choose it here (the link works once, for {{.valid_for}}):

    {{.link}}

If it was not you, ignore this email: your password stays as it is.
`, ""),
	// Sent to an address or number not verified yet: nothing a signup wrote.
	"verify_email": parse(`Confirm your email address`,
		`Hello,

An ERP account was opened with this email address. To confirm it is yours, enter this code in the portal
(or POST it to /v1/tenants/{{.tenant_id}}/verify):

    {{.code}}

Until it is confirmed we send nothing else here. If you did not sign up, ignore this email.
`, ""),
	"verify_phone": parse(`Confirm your phone number`, `Your ERP verification code is {{.code}}.`,
		`Your ERP verification code is {{.code}}. If you did not sign up, ignore this message.`),
	"plan_changed": parse(`Your plan is now {{.to}}`,
		`Hello {{.admin_name}},

{{.company}} moved from {{.from}} to {{.to}} on {{.effective_at}}.
{{if .invoice}}Invoice {{.invoice}}: {{.total}} charged to your payment method.
{{end}}{{if .credit}}{{.credit}} was added to your credit balance and will be used first on your next invoice.
{{end}}`, ""),
	"trial_reminder": parse(`Your trial ends in {{.days_left}}`,
		`Hello {{.admin_name}},

The free trial of {{.company}} ({{.url}}) ends on {{.ends_at}}. Add a payment method to keep going without a break;
without one the account is suspended when the trial ends.
`,
		`Your ERP trial ends on {{.ends_at}}. Add a payment method to keep it running.`),
	"trial_expired": parse(`Your trial has ended`,
		`Hello {{.admin_name}},

The trial of {{.company}} ({{.url}}) has ended and the account is suspended: {{.reason}}.
Your data is kept. Add a payment method and choose a plan to come back at once.
`,
		`Your ERP trial has ended and the account is suspended. Add a payment method to come back.`),
	"payment_failed": parse(`Payment failed for invoice {{.invoice}}`,
		`Hello {{.admin_name}},

We could not collect {{.amount}} for invoice {{.invoice}} of {{.company}}.
Next attempt: {{.next_attempt}}. Update your payment method to pay now.
`, ""),
	"suspended": parse(`Your account is suspended`,
		`Hello {{.admin_name}},

{{.company}} is suspended: {{.reason}}. Your data is kept.
Pay the open invoices (or update your payment method) to come back at once.
`,
		`Your ERP account is suspended. Pay the open invoices to come back.`),
	"reactivated": parse(`Welcome back`,
		`Hello {{.admin_name}},

{{.company}} is active again at {{.url}}
`, ""),
	"offboarding_warning": parse(`Your account will be closed on {{.date}}`,
		`Hello {{.admin_name}},

{{.company}} has been suspended for a long time with invoices unpaid. It will be closed on {{.date}} unless they are paid.
`, ""),
	"cancelled": parse(`Your account is closed`,
		`Hello {{.admin_name}},

{{.company}} is closed. Its data is kept until {{.until}}; ask us before then to come back.
`, ""),
	"alert_user_limit": parse(`{{.company}} is close to its user limit`,
		`Hello {{.admin_name}},

{{.company}} has {{.users}} users of the {{.allowed}} its plan allows. Upgrade to add more.
`, ""),
	"alert_storage": parse(`{{.company}} is close to its storage limit`,
		`Hello {{.admin_name}},

{{.company}} uses {{.used}} of the {{.allowed}} its plan includes. Above 120% new transactions are refused.
`, ""),
	"alert_high_volume": parse(`High transaction volume: {{.company}}`,
		`Tenant {{.company}} ({{.tenant_id}}) posted {{.today}} transactions today, more than twice its 30-day daily average of {{.average}}.
`, ""),
	"plan_change_not_applied": parse(`You stay on {{.kept}} for now`,
		`Hello {{.admin_name}},

{{.company}} was due to move to {{.plan}} today, but it holds more than {{.plan}} allows: {{.over}}.
Your {{.kept}} plan carries on for another period, so nothing is lost. Remove what is over and choose {{.plan}} again, or keep {{.kept}}.
`, ""),
	"plan_change_scheduled": parse(`Your move to {{.to}} is scheduled`,
		`Hello {{.admin_name}},

{{.company}} will move from {{.from}} to {{.to}} on {{.effective_at}}. Nothing changes until then.
`, ""),
}

// Render fills template name for one recipient: the email when email is not
// empty, and the SMS when the template has one and phone is not empty.
func Render(name string, data Data, email, phone string) ([]Message, error) {
	t, ok := templates[name]
	if !ok {
		return nil, fmt.Errorf("no message template %q", name)
	}
	exec := func(tpl *template.Template) (string, error) {
		var b bytes.Buffer
		if err := tpl.Execute(&b, data); err != nil {
			return "", fmt.Errorf("render %s: %w", name, err)
		}
		return b.String(), nil
	}
	subject, err := exec(t.subject)
	if err != nil {
		return nil, err
	}
	body, err := exec(t.email)
	if err != nil {
		return nil, err
	}
	var msgs []Message
	if email != "" {
		msgs = append(msgs, Message{Channel: Email, To: email, Subject: subject, Body: body})
	}
	if t.sms != nil && phone != "" {
		text, err := exec(t.sms)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, Message{Channel: SMS, To: phone, Body: text})
	}
	return msgs, nil
}

// Money writes cents as an amount with its currency, e.g. "USD 75.00".
func Money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%s %d.%02d", sign, currency, cents/100, cents%100)
}
