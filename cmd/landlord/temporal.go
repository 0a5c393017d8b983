package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/metrics"
	"github.com/landlordhq/landlord/secrets"
)

// temporalOptions is how landlord's processes reach Temporal: its address and
// namespace, over TLS when configured, every payload sealed with box.
func temporalOptions(cfg config.Config, log *slog.Logger, box *secrets.Box) (client.Options, error) {
	tlsConfig, err := temporalTLS(cfg)
	if err != nil {
		return client.Options{}, err
	}
	return client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, Logger: tlog.NewStructuredLogger(log),
		DataConverter: secrets.DataConverter(box), ConnectionOptions: client.ConnectionOptions{TLS: tlsConfig},
		MetricsHandler: metrics.Temporal()}, nil
}

// temporalTLS is how landlord's Temporal client speaks TLS: nil (plain gRPC,
// for a frontend on a private network) unless a CA, a client certificate or
// a server name is configured. With a certificate and key it is mutual TLS,
// the way a self-hosted Temporal frontend tells landlord from anyone else.
func temporalTLS(cfg config.Config) (*tls.Config, error) {
	if cfg.TemporalTLSCAFile == "" && cfg.TemporalTLSCertFile == "" && cfg.TemporalTLSKeyFile == "" && cfg.TemporalTLSServerName == "" {
		return nil, nil
	}
	c := &tls.Config{ServerName: cfg.TemporalTLSServerName, MinVersion: tls.VersionTLS12}
	if cfg.TemporalTLSCAFile != "" {
		pem, err := os.ReadFile(cfg.TemporalTLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("read TEMPORAL_TLS_CA_FILE: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA_FILE %s holds no PEM certificate", cfg.TemporalTLSCAFile)
		}
	}
	if (cfg.TemporalTLSCertFile == "") != (cfg.TemporalTLSKeyFile == "") {
		return nil, errors.New("TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together")
	}
	if cfg.TemporalTLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCertFile, cfg.TemporalTLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load the Temporal client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
