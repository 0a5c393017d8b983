package testenv

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
)

var (
	temporalOnce sync.Once
	temporalAddr string
	temporalErr  error
)

// TemporalCLI is the Temporal CLI tests run the dev server from: $TEMPORAL_CLI
// or bin/temporal, which `make tools` builds at the pinned version.
func TemporalCLI() string {
	if p := os.Getenv("TEMPORAL_CLI"); p != "" {
		return p
	}
	return filepath.Join(RepoRoot(), "bin", "temporal")
}

// TemporalAddress starts one real Temporal dev server per test binary (stopped
// by Main) and returns its address; TEST_TEMPORAL_ADDRESS names a running one instead.
func TemporalAddress(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("TEST_TEMPORAL_ADDRESS"); a != "" {
		return a
	}
	temporalOnce.Do(func() {
		if _, err := os.Stat(TemporalCLI()); err != nil {
			temporalErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath: TemporalCLI(),
			LogLevel:     "error",
			ExtraArgs:    []string{"--dynamic-config-value", "system.enableActivityEagerExecution=true"},
		})
		if err != nil {
			temporalErr = err
			return
		}
		temporalAddr = srv.FrontendHostPort()
		atExit(func() { _ = srv.Stop() })
	})
	if temporalErr != nil {
		t.Fatalf("temporal dev server (run `make tools` first): %v", temporalErr)
	}
	return temporalAddr
}

// TemporalClient dials the test dev server; the client closes when the test ends.
func TemporalClient(t testing.TB) client.Client {
	t.Helper()
	return TemporalClientWith(t, client.Options{})
}

// TemporalClientWith dials the test dev server with opts (its host and port set).
func TemporalClientWith(t testing.TB, opts client.Options) client.Client {
	t.Helper()
	opts.HostPort = TemporalAddress(t)
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatalf("dial temporal: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}
