package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/tenantdb"
)

// Usage are the activities of the usage sweep: snapshots and alert rules.
type Usage struct {
	Pool         *pgxpool.Pool
	Servers      *tenantdb.Servers
	Notify       *Notifications
	SupportEmail string // where operator-facing alerts go
}

// The seed document's monitoring rules, and storage's soft limit.
const (
	RuleApproachingUserLimit  = "approaching_user_limit"
	RuleTrialEndingSoon       = "trial_ending_soon"
	RuleHighTransactionVolume = "high_transaction_volume"
	RuleApproachingStorage    = "approaching_storage_limit"
)

// SnapshotInput is one page of live tenants.
type SnapshotInput struct {
	TenantIDs []uuid.UUID
	Now       time.Time
}

// SnapshotResult lists the notifications the page queued, for delivery.
type SnapshotResult struct {
	Measured      int // tenants whose snapshot of the month is current
	Opened        int // of them, those whose database was opened to count
	Alerts        int
	Notifications []string
}

// Snapshot brings each tenant's snapshot of the month in tenant_usage up to
// date and fires the alert rules. Each database server is asked once for the
// page's databases: their sizes and how many rows were written into each. A
// tenant database is opened (and counted) only when nothing of it was
// measured this month or its count of written rows moved since; for the rest
// the snapshot stands and only its size, where it moved, is written, so a
// sweep's connections and writes follow what changed, not the size of the
// fleet. An alert row (tenant, rule,
// period) and its notification's dedupe key make a rule fire once per period
// however often the sweep runs. A tenant whose database or server cannot be
// reached is skipped and logged.
func (a *Usage) Snapshot(ctx context.Context, in SnapshotInput) (SnapshotResult, error) {
	var res SnapshotResult
	q := db.New(a.Pool)
	month := time.Date(in.Now.UTC().Year(), in.Now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	page, err := q.TenantUsagePage(ctx, db.TenantUsagePageParams{Month: month, Ids: in.TenantIDs})
	if err != nil {
		return res, fmt.Errorf("load the page's tenants: %w", err)
	}
	names := map[tenantdb.Server][]string{}
	for _, r := range page {
		srv := tenantdb.Server{Host: r.ServerHost, Port: int(r.ServerPort)}
		names[srv] = append(names[srv], tenantdb.Name(r.Tenant.ID))
	}
	writes := map[string]tenantdb.Writes{}
	for srv, ns := range names {
		w, err := a.Servers.WritesOf(ctx, srv, ns)
		if err != nil {
			warn(ctx, "usage of a database server's tenants not measured", "server", srv.Host, "error", err)
			continue
		}
		maps.Copy(writes, w)
	}
	// The databases written to since their snapshot are counted a few at a time.
	measured := make([]*tenantdb.TenantUsage, len(page))
	g := errgroup.Group{}
	g.SetLimit(measureParallel)
	for i, r := range page {
		w, ok := writes[tenantdb.Name(r.Tenant.ID)]
		if !ok || unchanged(r, w) {
			continue
		}
		g.Go(func() error {
			srv := tenantdb.Server{Host: r.ServerHost, Port: int(r.ServerPort)}
			u, err := a.Servers.MeasureAsAdmin(ctx, srv, tenantdb.Name(r.Tenant.ID), in.Now)
			if err != nil {
				warn(ctx, "tenant database not measured", "tenant", r.Tenant.ID, "error", err)
				return nil
			}
			measured[i] = &u
			return nil
		})
	}
	_ = g.Wait() // each failure is logged and its tenant skipped
	for i, r := range page {
		t := r.Tenant
		w, ok := writes[tenantdb.Name(t.ID)]
		if !ok {
			continue // its database or its server is not there
		}
		var u tenantdb.TenantUsage
		if unchanged(r, w) {
			u = tenantdb.TenantUsage{Companies: int64(r.Companies), Users: int64(r.Users),
				MaxUsersInACompany: int64(r.MaxUsersPerCompanyUsed), TransactionsMonth: r.Transactions, StorageBytes: w.Bytes}
			if w.Bytes != r.StorageBytes {
				if err := q.TenantUsageSetStorage(ctx, db.TenantUsageSetStorageParams{TenantID: t.ID, Month: month, StorageBytes: w.Bytes}); err != nil {
					return res, fmt.Errorf("store storage of %s: %w", t.ID, err)
				}
			}
		} else {
			if measured[i] == nil {
				continue // could not be opened: logged above
			}
			u = *measured[i]
			res.Opened++
			if err := q.TenantUsageUpsert(ctx, db.TenantUsageUpsertParams{TenantID: t.ID, Month: month, Companies: int32(u.Companies),
				Users: int32(u.Users), MaxUsersPerCompanyUsed: int32(u.MaxUsersInACompany), Transactions: u.TransactionsMonth,
				StorageBytes: u.StorageBytes, WriteMark: &w.Rows}); err != nil {
				return res, fmt.Errorf("store usage of %s: %w", t.ID, err)
			}
		}
		res.Measured++
		for _, f := range rules(t, u, in.Now) {
			keys, fired, err := a.fire(ctx, t, f)
			if err != nil {
				return res, err
			}
			if fired {
				res.Alerts++
			}
			res.Notifications = append(res.Notifications, keys...)
		}
	}
	return res, nil
}

// unchanged says whether a tenant's snapshot of the month still stands: its
// database's count of written rows has not moved since it was measured.
func unchanged(r db.TenantUsagePageRow, w tenantdb.Writes) bool {
	return r.Measured && r.WriteMark != nil && *r.WriteMark == w.Rows
}

// measureParallel is how many tenant databases a usage snapshot opens at once.
const measureParallel = 4

// warn logs through the activity's logger (nothing outside an activity).
func warn(ctx context.Context, msg string, keyvals ...any) {
	if activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Warn(msg, keyvals...)
	}
}

type firing struct {
	rule, period, template, key string
	toSupport                   bool
	data                        notify.Data
	details                     map[string]any
}

// rules evaluates the alert rules on one tenant's usage.
func rules(t db.Tenant, u tenantdb.TenantUsage, now time.Time) []firing {
	var out []firing
	month := now.UTC().Format("2006-01")
	allowed := int64(t.MaxCompanies) * int64(t.MaxUsersPerCompany)
	if t.MaxTotalUsers != nil {
		allowed = int64(*t.MaxTotalUsers)
	}
	if u.Users*10 > allowed*9 {
		out = append(out, firing{rule: RuleApproachingUserLimit, period: month, template: "alert_user_limit", key: month,
			data:    notify.Data{"users": fmt.Sprint(u.Users), "allowed": fmt.Sprint(allowed)},
			details: map[string]any{"users": u.Users, "allowed": allowed}})
	}
	if t.Status == lifecycle.Trial && t.TrialEndsAt != nil && t.TrialEndsAt.After(now) && t.TrialEndsAt.Sub(now) <= 3*24*time.Hour {
		ends := t.TrialEndsAt.UTC()
		// The same template and key as the trial-end workflow's reminder: one email whoever is first.
		out = append(out, firing{rule: RuleTrialEndingSoon, period: ends.Format("2006-01-02"), template: "trial_reminder",
			key: ends.Format("2006-01-02"), data: notify.Data{"ends_at": ends.Format("2 Jan 2006"), "days_left": daysLeft(now, ends)},
			details: map[string]any{"trial_ends_at": ends}})
	}
	if avg := float64(u.TransactionsBefore) / 30; u.TransactionsToday >= 10 && float64(u.TransactionsToday) > 2*avg {
		day := now.UTC().Format("2006-01-02")
		out = append(out, firing{rule: RuleHighTransactionVolume, period: day, template: "alert_high_volume", key: day, toSupport: true,
			data:    notify.Data{"today": fmt.Sprint(u.TransactionsToday), "average": fmt.Sprintf("%.1f", avg)},
			details: map[string]any{"today": u.TransactionsToday, "daily_average_30d": avg}})
	}
	if limit := int64(t.MaxStorageGb) << 30; u.StorageBytes*10 > limit*9 {
		out = append(out, firing{rule: RuleApproachingStorage, period: month, template: "alert_storage", key: month,
			data:    notify.Data{"used": fmt.Sprintf("%.2f GB", float64(u.StorageBytes)/(1<<30)), "allowed": fmt.Sprintf("%d GB", t.MaxStorageGb)},
			details: map[string]any{"storage_bytes": u.StorageBytes, "limit_bytes": limit}})
	}
	return out
}

func daysLeft(now, ends time.Time) string {
	if d := int(ends.Sub(now).Hours()+23) / 24; d != 1 {
		return fmt.Sprintf("%d days", d)
	}
	return "1 day"
}

// fire records the alert and queues its message, once per period.
func (a *Usage) fire(ctx context.Context, t db.Tenant, f firing) ([]string, bool, error) {
	details, err := json.Marshal(f.details)
	if err != nil {
		return nil, false, err
	}
	n, err := db.New(a.Pool).AlertInsert(ctx, db.AlertInsertParams{TenantID: t.ID, Rule: f.rule, Period: f.period, Details: details})
	if err != nil {
		return nil, false, fmt.Errorf("record alert %s of %s: %w", f.rule, t.ID, err)
	}
	data := notify.Data{"company": t.TenantName, "admin_name": t.AdminName, "subdomain": t.Subdomain, "tenant_id": t.ID.String()}
	for k, v := range f.data {
		data[k] = v
	}
	o := outgoing{template: f.template, key: f.key, data: data, email: t.AdminEmail, phone: deref(t.Phone)}
	if f.toSupport {
		o.email, o.phone, o.toOperator = a.SupportEmail, "", true
	}
	keys, err := a.Notify.queue(ctx, t, []outgoing{o})
	return keys, n == 1, err
}
