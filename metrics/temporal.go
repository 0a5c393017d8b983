package metrics

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Temporal is the Temporal SDK's own metrics handler (requests, workflow task
// latency, activity failures, schedule-to-start, sticky cache, worker slots),
// reporting into the registry /metrics serves, beside landlord's, as
// temporal_*. One per process: its metrics are registered once.
var Temporal = sync.OnceValue(func() client.MetricsHandler {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       prometheus.DefaultRegisterer,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			slog.Warn("a Temporal SDK metric could not be registered", "error", err)
		},
	})
	scope, _ := tally.NewRootScope(tally.ScopeOptions{CachedReporter: reporter, Separator: tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions, OmitCardinalityMetrics: true}, time.Second)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
})
