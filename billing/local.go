package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Local is the provider used when no Stripe key is set: it keeps nothing outside
// landlord's own database and follows Stripe's test payment methods.
type Local struct{}

// Name implements Provider.
func (Local) Name() string { return "local" }

// CreateCustomer derives the customer id from the tenant id, so it is idempotent by construction.
func (Local) CreateCustomer(_ context.Context, c Customer, _ string) (string, error) {
	return "cus_local_" + strings.ReplaceAll(c.TenantID.String(), "-", ""), nil
}

// DeleteCustomer has nothing to remove.
func (Local) DeleteCustomer(context.Context, string) error { return nil }

// SetPaymentMethod has nothing to record outside landlord.
func (Local) SetPaymentMethod(context.Context, string, string) error { return nil }

// FinalizeInvoice derives the provider invoice id from landlord's.
func (Local) FinalizeInvoice(_ context.Context, inv Invoice) (string, error) {
	return "in_local_" + strings.ReplaceAll(inv.ID.String(), "-", ""), nil
}

// VoidInvoice has nothing to void outside landlord.
func (Local) VoidInvoice(context.Context, string) error { return nil }

// Stripe's test payment methods and what they do.
var localOutcomes = map[string]Payment{
	"pm_card_visa":                            {Succeeded: true},
	"pm_card_mastercard":                      {Succeeded: true},
	"pm_card_amex":                            {Succeeded: true},
	"pm_card_chargeDeclined":                  {FailureCode: "card_declined", FailureMessage: "Your card was declined."},
	"pm_card_chargeDeclinedInsufficientFunds": {FailureCode: "insufficient_funds", FailureMessage: "Your card has insufficient funds."},
	"pm_card_chargeDeclinedExpiredCard":       {FailureCode: "expired_card", FailureMessage: "Your card has expired."},
}

// PayInvoice succeeds or declines as Stripe's test payment method of the same
// name would; no method, or one Stripe does not know, declines.
func (Local) PayInvoice(_ context.Context, _ string, paymentMethod, idempotencyKey string) (Payment, error) {
	p, ok := localOutcomes[paymentMethod]
	switch {
	case paymentMethod == "":
		p = Payment{FailureCode: "no_payment_method", FailureMessage: "No payment method on file."}
	case !ok:
		p = Payment{FailureCode: "resource_missing", FailureMessage: "No such payment method: " + paymentMethod}
	}
	sum := sha256.Sum256([]byte(idempotencyKey))
	p.ProviderID = "py_local_" + hex.EncodeToString(sum[:12])
	return p, nil
}
