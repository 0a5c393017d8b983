package notify

import "fmt"

// Welcome is the welcome email of a new tenant's admin.
func Welcome(to, adminName, companyName, subdomain string, trialDays int) Message {
	body := fmt.Sprintf("Hello %s,\n\n%s is ready at %s.\n", adminName, companyName, subdomain)
	if trialDays > 0 {
		body += fmt.Sprintf("Your %d-day free trial has started: every feature of your plan is yours to try.\n", trialDays)
	}
	body += "\nSign in with this email address to get started.\n"
	return Message{Channel: Email, To: to, Subject: "Welcome to your ERP, " + companyName, Body: body}
}

// WelcomeSMS is the short welcome text sent when the admin gave a phone number.
func WelcomeSMS(to, companyName, subdomain string) Message {
	return Message{Channel: SMS, To: to, Body: fmt.Sprintf("%s is ready at %s. Check your email to sign in.", companyName, subdomain)}
}
