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
}
