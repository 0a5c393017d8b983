// Package billing holds the payment providers: local (default) and Stripe.
package billing

import (
	"context"

	"github.com/google/uuid"
)

// Customer is who a billing customer is created for.
type Customer struct {
	TenantID uuid.UUID
	Email    string
	Name     string
}

// Provider is a payment provider.
type Provider interface {
	// Name is the provider's name as stored with its ids ("local", "stripe").
	Name() string
	// CreateCustomer creates the billing customer of a tenant. The same
	// idempotency key always yields the same customer.
	CreateCustomer(ctx context.Context, c Customer, idempotencyKey string) (customerID string, err error)
	// DeleteCustomer removes a customer; one that is already gone is not an error.
	DeleteCustomer(ctx context.Context, customerID string) error
	// SetPaymentMethod makes paymentMethod the customer's default for invoices.
	SetPaymentMethod(ctx context.Context, customerID, paymentMethod string) error
	// FinalizeInvoice creates the invoice at the provider with its lines and
	// finalizes it; the keys derive from the invoice id, so a rerun returns the
	// same provider invoice.
	FinalizeInvoice(ctx context.Context, inv Invoice) (providerInvoiceID string, err error)
	// PayInvoice charges a finalized invoice once per idempotency key. A declined
	// payment is a Payment with Succeeded false, not an error.
	PayInvoice(ctx context.Context, providerInvoiceID, paymentMethod, idempotencyKey string) (Payment, error)
	// VoidInvoice voids an unpaid invoice at the provider.
	VoidInvoice(ctx context.Context, providerInvoiceID string) error
}

// Invoice is what the provider is asked to bill.
type Invoice struct {
	ID         uuid.UUID
	Number     string
	CustomerID string
	Currency   string
	Lines      []Line // the credit balance used, if any, is a line of its own
}

// Payment is the outcome of one charge.
type Payment struct {
	Succeeded      bool
	ProviderID     string
	FailureCode    string
	FailureMessage string
}
