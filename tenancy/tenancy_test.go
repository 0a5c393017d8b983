package tenancy

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHostsAreComparedWithoutPortOrCase(t *testing.T) {
	for host, want := range map[string]string{
		"acme.erp.example.com":      "acme.erp.example.com",
		"ACME.erp.example.com:8443": "acme.erp.example.com",
		"acme.erp.example.com.":     "acme.erp.example.com",
		"localhost":                 "",
		"127.0.0.1":                 "",
		"[::1]:80":                  "",
		".erp.example.com":          "",
		"":                          "",
	} {
		got, ok := normalHost(host)
		if ok != (want != "") || got != want {
			t.Errorf("normalHost(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}

func TestRefusalsAnswerEachReasonWithItsStatus(t *testing.T) {
	suspended := &NotServingError{Tenant: &Tenant{Subdomain: "acme", Status: "suspended"}}
	for err, want := range map[error]int{
		ErrUnknownTenant:            http.StatusNotFound,
		suspended:                   http.StatusForbidden,
		ErrUnavailable:              http.StatusServiceUnavailable,
		errors.New("anything else"): http.StatusServiceUnavailable,
	} {
		if got, _ := Refusal(err); got != want {
			t.Errorf("Refusal(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestAResolverNeedsLandlordAndAToken(t *testing.T) {
	if _, err := New(Config{Landlord: "http://landlord"}); err == nil {
		t.Error("a resolver without a service token was made")
	}
	if _, err := New(Config{ServiceToken: "lls_x"}); err == nil {
		t.Error("a resolver without landlord's address was made")
	}
}

func TestTheResolverExportsHowStaleItsViewIs(t *testing.T) {
	r, err := New(Config{Landlord: "http://landlord.invalid", ServiceToken: "lls_x"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r)
	staleness := func() float64 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "tenancy_feed_staleness_seconds" {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no tenancy_feed_staleness_seconds")
		return 0
	}
	if s := staleness(); !math.IsInf(s, 1) {
		t.Errorf("before the feed spoke, staleness is %v, want +Inf", s)
	}
	r.apply("", "heartbeat", `{"version":1}`)
	if s := staleness(); s < 0 || s > 1 {
		t.Errorf("right after a heartbeat, staleness is %v s", s)
	}
}

// TestAFloodOfUnknownHostsDoesNotGrowWithoutBound: the hosts remembered as
// unknown stop at maxUnknown; those whose time is up make room.
func TestAFloodOfUnknownHostsDoesNotGrowWithoutBound(t *testing.T) {
	r, err := New(Config{Landlord: "http://landlord.invalid", ServiceToken: "lls_x", NotFoundTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	now := time.Now()
	for i := range 3 * maxUnknown {
		r.rememberUnknown(fmt.Sprintf("typo-%d.erp.example.com", i), now)
	}
	if n := len(r.unknown); n != maxUnknown {
		t.Fatalf("%d hosts remembered, want the bound %d", n, maxUnknown)
	}
	r.rememberUnknown("late.erp.example.com", now.Add(2*time.Second)) // the others' time is up
	if n := len(r.unknown); n != 1 {
		t.Fatalf("%d hosts remembered after the others expired, want 1", n)
	}
}
