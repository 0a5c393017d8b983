package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/db"
)

// Billing are the activities that talk to the payment provider.
type Billing struct {
	Pool     *pgxpool.Pool
	Provider billing.Provider
	Delay    StepDelay
}

// CustomerInput is whom to create a billing customer for.
type CustomerInput struct {
	TenantID uuid.UUID
	Email    string
	Name     string
}

// CreateCustomer creates the tenant's billing customer and stores its id. The
// provider call carries the idempotency key tenant/<id>/create-customer, so a
// rerun gets the same customer back.
func (a *Billing) CreateCustomer(ctx context.Context, in CustomerInput) (string, error) {
	defer keepAlive(ctx)()
	key := "tenant/" + in.TenantID.String() + "/create-customer"
	id, err := a.Provider.CreateCustomer(ctx, billing.Customer{TenantID: in.TenantID, Email: in.Email, Name: in.Name}, key)
	if errors.Is(err, billing.ErrRejected) {
		return "", permanent(ErrRejected, err.Error(), nil)
	}
	if err != nil {
		return "", err
	}
	if err := db.New(a.Pool).TenantSetBillingCustomer(ctx, db.TenantSetBillingCustomerParams{ID: in.TenantID, BillingCustomerID: &id}); err != nil {
		return "", fmt.Errorf("store billing customer of %s: %w", in.TenantID, err)
	}
	return id, nil
}

// RemoveCustomer undoes CreateCustomer, whether or not that step finished: it
// asks the provider for the tenant's customer under the same idempotency key
// (getting back the one a timed-out attempt may have made) and deletes it. A
// customer already gone counts as deleted, so it can run any number of times.
func (a *Billing) RemoveCustomer(ctx context.Context, in CustomerInput) error {
	key := "tenant/" + in.TenantID.String() + "/create-customer"
	id, err := a.Provider.CreateCustomer(ctx, billing.Customer{TenantID: in.TenantID, Email: in.Email, Name: in.Name}, key)
	if errors.Is(err, billing.ErrRejected) {
		return nil // the provider never made one
	}
	if err != nil {
		return err
	}
	return a.Provider.DeleteCustomer(ctx, id)
}

// DeleteCustomer deletes a billing customer; one already gone counts as deleted.
func (a *Billing) DeleteCustomer(ctx context.Context, customerID string) error {
	return a.Provider.DeleteCustomer(ctx, customerID)
}
