package testenv

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
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

// StripeRecorder sits in front of stripe-mock and keeps, for every request,
// "METHOD /path key=<Idempotency-Key>".
type StripeRecorder struct {
	URL  string // point the adapter here
	mu   sync.Mutex
	seen []string
}

// RecordStripe starts stripe-mock behind a recorder for the test.
func RecordStripe(t testing.TB) *StripeRecorder {
	t.Helper()
	target, err := url.Parse(StripeMock(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &StripeRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.seen = append(r.seen, req.Method+" "+req.URL.Path+" key="+req.Header.Get("Idempotency-Key"))
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Seen is every request so far, in order.
func (r *StripeRecorder) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// Count is how many requests so far match pattern.
func (r *StripeRecorder) Count(pattern string) int {
	re := regexp.MustCompile(pattern)
	n := 0
	for _, s := range r.Seen() {
		if re.MatchString(s) {
			n++
		}
	}
	return n
}
