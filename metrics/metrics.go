// Package metrics holds landlord's Prometheus collectors, registered on the
// default registry and served at /metrics.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// OnboardingStarted counts onboarding workflows accepted by the API.
	OnboardingStarted = promauto.NewCounter(prometheus.CounterOpts{
		Name: "landlord_onboarding_started_total",
		Help: "Onboardings accepted by the API.",
	})
	// OnboardingFinished counts onboardings that ended, by result (trial, active, failed, rejected).
	OnboardingFinished = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_onboarding_finished_total",
		Help: "Onboardings that ended, by result.",
	}, []string{"result"})
	// OnboardingDuration is the time from registration to a ready tenant.
	OnboardingDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "landlord_onboarding_duration_seconds",
		Help:    "Time from a tenant's registration to its database, company, admin and trial being ready.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300},
	})
	// HTTPRequests counts API requests by route, method and status code.
	HTTPRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_http_requests_total",
		Help: "API requests by route, method and status.",
	}, []string{"route", "method", "code"})
	// HTTPDuration is API latency by route and method.
	HTTPDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "landlord_http_request_duration_seconds",
		Help:    "API request latency by route and method.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method"})
)

// Business events, counted where they happen (in the worker that ran them).
var (
	// Payments counts charges recorded, by result (succeeded, failed).
	Payments = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_payments_total",
		Help: "Charges recorded, by result.",
	}, []string{"result"})
	// PlanChanges counts plan changes applied, by direction (upgrade, downgrade).
	PlanChanges = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_plan_changes_total",
		Help: "Plan changes applied, by direction.",
	}, []string{"direction"})
	// SignIns counts the ERP users' sign-in attempts, by outcome: succeeded,
	// invalid_credentials, account_waiting (the delay after failures),
	// account_busy (another try of the account being checked).
	SignIns = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_sign_ins_total",
		Help: "Sign-in attempts of the ERP's users, by outcome.",
	}, []string{"outcome"})
	// Suspensions counts tenants suspended, by cause (trial_expired, payment_overdue, operator).
	Suspensions = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_suspensions_total",
		Help: "Tenants suspended, by cause.",
	}, []string{"cause"})
	// Reactivations counts suspended or cancelled tenants let back in.
	Reactivations = promauto.NewCounter(prometheus.CounterOpts{
		Name: "landlord_reactivations_total",
		Help: "Suspended or cancelled tenants let back in.",
	})
)

// The warm pool (counted in the worker that claims and builds).
var (
	// WarmPoolClaims counts onboardings by whether their server's warm pool had a database ready (hit) or not (miss).
	WarmPoolClaims = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "landlord_warm_pool_claims_total",
		Help: "Onboardings that claimed a pooled database (hit) or had to build one (miss).",
	}, []string{"result"})
	// WarmPoolReady is each server's ready pooled databases, as its last refill left them.
	WarmPoolReady = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "landlord_warm_pool_ready",
		Help: "Ready pooled databases per database server, as the last refill left them.",
	}, []string{"server"})
	// WarmPoolBuildSeconds is how long building one pooled database took.
	WarmPoolBuildSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "landlord_warm_pool_build_seconds",
		Help:    "Time to build one pooled database (roles, clone of the template, privileges).",
		Buckets: []float64{0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10},
	})
)

// Every outcome of a sign-in is served from the start, at 0, so a rate over
// it is defined before the first failure.
func init() {
	for _, outcome := range []string{"succeeded", "invalid_credentials", "account_waiting", "account_busy"} {
		SignIns.WithLabelValues(outcome)
	}
}
