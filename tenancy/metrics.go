package tenancy

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	stalenessDesc = prometheus.NewDesc("tenancy_feed_staleness_seconds",
		"Seconds since landlord's change feed last spoke (it sends a heartbeat a second); +Inf before it first did.", nil, nil)
	resolutionsDesc = prometheus.NewDesc("tenancy_resolutions_total",
		"Requests made to landlord's GET /v1/resolve.", nil, nil)
	knownDesc = prometheus.NewDesc("tenancy_tenants_known",
		"Tenants whose resolution is held in memory.", nil, nil)
	poolsDesc = prometheus.NewDesc("tenancy_pools_open",
		"Pools open on tenant databases.", nil, nil)
	connsDesc = prometheus.NewDesc("tenancy_pool_connections",
		"Connections the tenant pools hold, by state.", []string{"state"}, nil)
)

// Describe makes a Resolver a prometheus.Collector: register it
// (prometheus.MustRegister(r)) and the service's /metrics shows how stale
// its view of landlord is, how often it asks, and its tenant pools.
func (r *Resolver) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{stalenessDesc, resolutionsDesc, knownDesc, poolsDesc, connsDesc} {
		ch <- d
	}
}

// Collect is the Resolver's figures now.
func (r *Resolver) Collect(ch chan<- prometheus.Metric) {
	stale := math.Inf(1)
	if d := r.Staleness(); d < math.MaxInt64 {
		stale = d.Seconds()
	}
	r.mu.Lock()
	resolves, known := r.resolves, len(r.known)
	r.mu.Unlock()
	inUse, idle := r.pools.Conns()
	ch <- prometheus.MustNewConstMetric(stalenessDesc, prometheus.GaugeValue, stale)
	ch <- prometheus.MustNewConstMetric(resolutionsDesc, prometheus.CounterValue, float64(resolves))
	ch <- prometheus.MustNewConstMetric(knownDesc, prometheus.GaugeValue, float64(known))
	ch <- prometheus.MustNewConstMetric(poolsDesc, prometheus.GaugeValue, float64(r.pools.Open()))
	ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(inUse), "in_use")
	ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(idle), "idle")
}
