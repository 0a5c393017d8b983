package billing

import (
	"context"
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
