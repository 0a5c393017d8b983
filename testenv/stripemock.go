package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StripeMockBinary is the stripe-mock tests run: $STRIPE_MOCK or bin/stripe-mock,
// which `make tools` builds at the pinned version.
func StripeMockBinary() string {
	if p := os.Getenv("STRIPE_MOCK"); p != "" {
		return p
	}
	return filepath.Join(RepoRoot(), "bin", "stripe-mock")
}

// StripeMock starts stripe-mock on a free loopback port for the test and
// returns its base URL.
func StripeMock(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// An HTTPS listener is always started too: on a port of its own, so parallel
	// test binaries do not fight over the default one.
	cmd := exec.Command(StripeMockBinary(), "-http-addr", addr, "-https-addr", "127.0.0.1:")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock (run `make tools` first): %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
