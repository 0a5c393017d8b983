package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestTheProxyTakesTurnsAndSkipsAnUnreachableReplica: requests alternate
// between the APIs; with one gone, a request without a body goes to the
// other, and one with a body (which cannot be sent twice) answers 502.
func TestTheProxyTakesTurnsAndSkipsAnUnreachableReplica(t *testing.T) {
	var backends []*url.URL
	var servers []*httptest.Server
	for _, name := range []string{"a", "b"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, name) }))
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		backends, servers = append(backends, u), append(servers, srv)
	}
	front := httptest.NewServer(newRoundRobin(backends, slog.New(slog.DiscardHandler)))
	defer front.Close()
	get := func() (int, string) {
		res, err := http.Get(front.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	seen := map[string]int{}
	for range 4 {
		_, who := get()
		seen[who]++
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Fatalf("requests did not take turns: %v", seen)
	}
	servers[0].Close()
	for range 4 {
		if code, who := get(); code != http.StatusOK || who != "b" {
			t.Fatalf("with a gone, a GET answered %d from %q", code, who)
		}
	}
	codes := map[int]int{}
	for range 4 {
		res, err := http.Post(front.URL+"/v1/signup", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		codes[res.StatusCode]++
	}
	if codes[http.StatusOK] != 2 || codes[http.StatusBadGateway] != 2 {
		t.Fatalf("bodies are sent once, to their turn's replica: %v", codes)
	}
}
