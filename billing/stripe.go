package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

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

// SetPaymentMethod attaches paymentMethod to the customer and makes it the
// default for invoices.
func (s *Stripe) SetPaymentMethod(ctx context.Context, customerID, paymentMethod string) error {
	attach := &stripe.PaymentMethodAttachParams{Customer: stripe.String(customerID)}
	attach.Context = ctx
	if _, err := s.api.PaymentMethods.Attach(paymentMethod, attach); err != nil {
		return fmt.Errorf("attach payment method: %w", classify(err))
	}
	update := &stripe.CustomerParams{InvoiceSettings: &stripe.CustomerInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(paymentMethod)}}
	update.Context = ctx
	if _, err := s.api.Customers.Update(customerID, update); err != nil {
		return fmt.Errorf("set default payment method: %w", classify(err))
	}
	return nil
}

// FinalizeInvoice creates a draft Stripe invoice, adds one invoice item per
// line and finalizes it, each call under a key derived from the invoice id.
func (s *Stripe) FinalizeInvoice(ctx context.Context, inv Invoice) (string, error) {
	key := "invoice/" + inv.ID.String()
	currency := strings.ToLower(inv.Currency)
	params := &stripe.InvoiceParams{
		Customer:                    stripe.String(inv.CustomerID),
		Currency:                    stripe.String(currency),
		CollectionMethod:            stripe.String(string(stripe.InvoiceCollectionMethodChargeAutomatically)),
		AutoAdvance:                 stripe.Bool(false),
		PendingInvoiceItemsBehavior: stripe.String("exclude"),
		Metadata:                    map[string]string{"landlord_invoice_id": inv.ID.String(), "landlord_invoice_number": inv.Number},
	}
	params.Context = ctx
	params.SetIdempotencyKey(key + "/create")
	si, err := s.api.Invoices.New(params)
	if err != nil {
		return "", fmt.Errorf("create stripe invoice: %w", classify(err))
	}
	for i, l := range inv.Lines {
		item := &stripe.InvoiceItemParams{
			Customer: stripe.String(inv.CustomerID), Invoice: stripe.String(si.ID), Currency: stripe.String(currency),
			Amount: stripe.Int64(l.AmountCents), Description: stripe.String(l.Description),
		}
		item.Context = ctx
		item.SetIdempotencyKey(fmt.Sprintf("%s/item/%d", key, i))
		if _, err := s.api.InvoiceItems.New(item); err != nil {
			return "", fmt.Errorf("add stripe invoice item: %w", classify(err))
		}
	}
	fin := &stripe.InvoiceFinalizeInvoiceParams{AutoAdvance: stripe.Bool(false)}
	fin.Context = ctx
	fin.SetIdempotencyKey(key + "/finalize")
	if _, err := s.api.Invoices.FinalizeInvoice(si.ID, fin); err != nil {
		return "", fmt.Errorf("finalize stripe invoice: %w", classify(err))
	}
	return si.ID, nil
}

// PayInvoice pays a finalized invoice off-session. Stripe answers a successful
// payment with the paid invoice and a declined card with a card error.
func (s *Stripe) PayInvoice(ctx context.Context, providerInvoiceID, paymentMethod, idempotencyKey string) (Payment, error) {
	params := &stripe.InvoicePayParams{OffSession: stripe.Bool(true)}
	if paymentMethod != "" {
		params.PaymentMethod = stripe.String(paymentMethod)
	}
	params.Context = ctx
	params.SetIdempotencyKey(idempotencyKey)
	inv, err := s.api.Invoices.Pay(providerInvoiceID, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
		code := string(se.Code)
		if se.DeclineCode != "" {
			code = string(se.DeclineCode)
		}
		return Payment{FailureCode: code, FailureMessage: se.Msg}, nil
	}
	if err != nil {
		return Payment{}, fmt.Errorf("pay stripe invoice %s: %w", providerInvoiceID, classify(err))
	}
	id := inv.ID
	if inv.PaymentIntent != nil && inv.PaymentIntent.ID != "" {
		id = inv.PaymentIntent.ID
	}
	return Payment{Succeeded: true, ProviderID: id}, nil
}

// VoidInvoice voids an unpaid Stripe invoice; one that is gone counts as void.
func (s *Stripe) VoidInvoice(ctx context.Context, providerInvoiceID string) error {
	params := &stripe.InvoiceVoidInvoiceParams{}
	params.Context = ctx
	_, err := s.api.Invoices.VoidInvoice(providerInvoiceID, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("void stripe invoice %s: %w", providerInvoiceID, classify(err))
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
