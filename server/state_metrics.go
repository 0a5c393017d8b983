package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// stateCollector reads, when Prometheus scrapes, what the platform database
// and the tenant pools hold now: tenants by status and plan, the outbox's
// backlog, the tenant pools' connections. Every API replica reports the same
// database figures: aggregate them with max, not sum.
type stateCollector struct {
	pool  *pgxpool.Pool
	pools *tenantdb.Pools
	log   *slog.Logger
}

var (
	tenantsDesc = prometheus.NewDesc("landlord_tenants", "Tenants by status and plan.", []string{"status", "plan"}, nil)
	outboxDesc  = prometheus.NewDesc("landlord_outbox_queued", "Messages waiting in the outbox, by channel.", []string{"channel"}, nil)
	outboxAge   = prometheus.NewDesc("landlord_outbox_oldest_queued_seconds", "How long the oldest waiting message has waited, by channel.",
		[]string{"channel"}, nil)
	poolsDesc = prometheus.NewDesc("landlord_tenant_pools_open", "Connection pools open on tenant databases.", nil, nil)
	connsDesc = prometheus.NewDesc("landlord_tenant_pool_connections", "Connections those pools hold, by state.", []string{"state"}, nil)
)

// NewStateCollector reads the platform database through pool (operator
// path) and the tenant pools' connections at each scrape.
func NewStateCollector(pool *pgxpool.Pool, pools *tenantdb.Pools, log *slog.Logger) prometheus.Collector {
	return &stateCollector{pool: pool, pools: pools, log: log}
}

// RegisterStateMetrics adds that collector to the registry /metrics serves; once per process.
func RegisterStateMetrics(pool *pgxpool.Pool, pools *tenantdb.Pools, log *slog.Logger) error {
	return prometheus.Register(NewStateCollector(pool, pools, log))
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{tenantsDesc, outboxDesc, outboxAge, poolsDesc, connsDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var tenants []db.MetricTenantsRow
	var outbox []db.MetricOutboxRow
	err := db.InOperatorScope(ctx, c.pool, func(q *db.Queries) (err error) {
		if tenants, err = q.MetricTenants(ctx); err != nil {
			return err
		}
		outbox, err = q.MetricOutbox(ctx)
		return err
	})
	if err != nil {
		c.log.Warn("metrics: read the platform database", "error", err)
		ch <- prometheus.NewInvalidMetric(tenantsDesc, err)
	}
	for _, r := range tenants {
		ch <- prometheus.MustNewConstMetric(tenantsDesc, prometheus.GaugeValue, float64(r.Tenants), string(r.Status), r.PlanCode)
	}
	for _, r := range outbox {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(r.Queued), r.Channel)
		ch <- prometheus.MustNewConstMetric(outboxAge, prometheus.GaugeValue, r.OldestSeconds, r.Channel)
	}
	if c.pools != nil {
		inUse, idle := c.pools.Conns()
		ch <- prometheus.MustNewConstMetric(poolsDesc, prometheus.GaugeValue, float64(c.pools.Open()))
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(inUse), "in_use")
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(idle), "idle")
	}
}
