package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestTheTemporalClientSpeaksMutualTLS puts a TLS front in front of the test's
// Temporal dev server that, like a secured frontend, accepts only clients
// with a certificate from its CA: landlord configured with one gets through;
// without a certificate, or without TLS, it does not.
func TestTheTemporalClientSpeaksMutualTLS(t *testing.T) {
	ca := testenv.NewCA(t)
	front := tlsFront(t, ca, testenv.TemporalAddress(t))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	certPEM, keyPEM := ca.Issue(t, false)
	cfg := config.Config{TemporalAddress: front, TemporalNamespace: "default",
		TemporalTLSCAFile: write("ca.pem", ca.PEM), TemporalTLSCertFile: write("client.pem", certPEM), TemporalTLSKeyFile: write("client.key", keyPEM)}
	box, err := secrets.NewBox(sha256.Sum256([]byte(testenv.SecretKey)))
	if err != nil {
		t.Fatal(err)
	}
	dial := func(cfg config.Config) error {
		opts, err := temporalOptions(cfg, slog.New(slog.DiscardHandler), box)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		tc, err := client.DialContext(ctx, opts)
		if err != nil {
			return err
		}
		defer tc.Close()
		_, err = tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	if err := dial(cfg); err != nil {
		t.Fatalf("with its certificate landlord should get through: %v", err)
	}
	noCert := cfg
	noCert.TemporalTLSCertFile, noCert.TemporalTLSKeyFile = "", ""
	if err := dial(noCert); err == nil {
		t.Error("without a client certificate landlord got through")
	}
	plain := config.Config{TemporalAddress: front, TemporalNamespace: "default"}
	if err := dial(plain); err == nil {
		t.Error("without TLS landlord got through")
	}
	halfPair := cfg
	halfPair.TemporalTLSKeyFile = ""
	if _, err := temporalTLS(halfPair); err == nil {
		t.Error("a certificate without its key is a configuration error")
	}
}

// tlsFront listens on a port of its own, accepts TLS only from clients with a
// certificate ca signed, and relays each connection to backend.
func tlsFront(t *testing.T, ca *testenv.CA, backend string) string {
	t.Helper()
	certPEM, keyPEM := ca.Issue(t, true)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Roots, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if err := conn.(*tls.Conn).Handshake(); err != nil {
					return
				}
				up, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, conn) }()
				_, _ = io.Copy(conn, up)
			}()
		}
	}()
	return l.Addr().String()
}

// TestTheTemporalSDKMetricsAreServedBesideLandlords: the client landlord's
// processes dial reports the SDK's own metrics into the registry /metrics
// serves.
func TestTheTemporalSDKMetricsAreServedBesideLandlords(t *testing.T) {
	box, err := secrets.NewBox(sha256.Sum256([]byte(testenv.SecretKey)))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := temporalOptions(config.Config{TemporalAddress: testenv.TemporalAddress(t), TemporalNamespace: "default"},
		slog.New(slog.DiscardHandler), box)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := client.DialContext(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := tc.CountWorkflow(t.Context(), &workflowservice.CountWorkflowExecutionsRequest{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		families, err := prometheus.DefaultGatherer.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "temporal_request" || f.GetName() == "temporal_request_total" {
				return
			}
		}
		if time.Now().After(deadline) {
			var names []string
			for _, f := range families {
				names = append(names, f.GetName())
			}
			t.Fatalf("no temporal_request metric among %v", names)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
