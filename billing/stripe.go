package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// Stripe is the provider backed by Stripe's API.
type Stripe struct{ api *client.API }

// NewStripe returns a Stripe provider with secret key; baseURL, when not empty,
// replaces Stripe's API address (stripe-mock in tests).
func NewStripe(key, baseURL string) *Stripe {
	cfg := &stripe.BackendConfig{MaxNetworkRetries: stripe.Int64(2), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}
	if baseURL != "" {
		cfg.URL = stripe.String(baseURL)
	}
	backends := &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
	}
	return &Stripe{api: client.New(key, backends)}
}

// Name implements Provider.
func (*Stripe) Name() string { return "stripe" }

// CreateCustomer creates a Stripe customer under idempotencyKey, so a retried
// call returns the customer of the first one.
func (s *Stripe) CreateCustomer(ctx context.Context, c Customer, idempotencyKey string) (string, error) {
	params := &stripe.CustomerParams{
		Email:    stripe.String(c.Email),
		Name:     stripe.String(c.Name),
		Metadata: map[string]string{"tenant_id": c.TenantID.String()},
	}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	cus, err := s.api.Customers.New(params)
	if err != nil {
		return "", fmt.Errorf("create stripe customer: %w", classify(err))
	}
	return cus.ID, nil
}

// DeleteCustomer deletes a Stripe customer; a missing one counts as deleted.
func (s *Stripe) DeleteCustomer(ctx context.Context, customerID string) error {
	params := &stripe.CustomerParams{}
	params.Context = ctx
	_, err := s.api.Customers.Del(customerID, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete stripe customer %s: %w", customerID, classify(err))
	}
	return nil
}

// ErrRejected marks a request the provider refused for good (4xx other than 429):
// retrying it cannot help.
var ErrRejected = errors.New("rejected by the payment provider")

func classify(err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 && se.HTTPStatusCode != http.StatusTooManyRequests {
		return fmt.Errorf("%w: %s", ErrRejected, se.Msg)
	}
	return err
}
