// Package worker runs landlord's Temporal worker: it registers every workflow
// and the activities with their dependencies.
package worker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/backup"
	"github.com/landlordhq/landlord/billing"
	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/workflows"
)

// Deps are what the activities work with.
type Deps struct {
	Pool         *pgxpool.Pool
	Servers      *tenantdb.Servers
	Box          *secrets.Box
	Billing      billing.Provider
	Email        notify.Sender // nil: email stays in the outbox
	SMS          notify.Sender // nil: SMS stays in the outbox
	StepDelay    activities.StepDelay
	Backups      backup.Store
	SupportEmail string
	TenantURL    string            // where a tenant's ERP answers, {subdomain} filled in
	Limits       activities.Limits // what the outbox may send
}

// Providers builds the billing provider and the senders the configuration asks for.
func Providers(cfg config.Config) (b billing.Provider, email, sms notify.Sender) {
	b = billing.Local{}
	if cfg.StripeSecretKey != "" {
		b = billing.NewStripe(cfg.StripeSecretKey, cfg.StripeBackendURL)
	}
	if cfg.SendGridAPIKey != "" {
		email = notify.NewSendGrid(cfg.SendGridAPIKey, cfg.SendGridBaseURL, cfg.EmailFrom)
	}
	if cfg.TwilioAccountSID != "" && cfg.TwilioAuthToken != "" {
		sms = notify.NewTwilio(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioBaseURL, cfg.TwilioFromNumber)
	}
	return b, email, sms
}

// Backups is the backup store the configuration asks for: the S3 bucket when
// BACKUP_S3_BUCKET is set, else the BACKUP_DIR folder; where says which.
func Backups(ctx context.Context, cfg config.Config) (store backup.Store, where string, err error) {
	if cfg.BackupS3.Bucket != "" {
		s3, err := backup.NewS3(ctx, cfg.BackupS3)
		return s3, "s3://" + cfg.BackupS3.Bucket, err
	}
	files, err := backup.NewFiles(cfg.BackupDir)
	return files, cfg.BackupDir, err
}

// New returns a worker on taskQueue with every workflow and activity registered.
func New(c client.Client, taskQueue string, d Deps) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	for _, wf := range workflows.All {
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivity(&activities.Tenants{Pool: d.Pool})
	w.RegisterActivity(&activities.Databases{Pool: d.Pool, Servers: d.Servers, Box: d.Box, Delay: d.StepDelay})
	w.RegisterActivity(&activities.Billing{Pool: d.Pool, Provider: d.Billing, Delay: d.StepDelay})
	w.RegisterActivity(&activities.Plans{Pool: d.Pool})
	w.RegisterActivity(&activities.Lifecycle{Pool: d.Pool, Servers: d.Servers, Backups: d.Backups, Delay: d.StepDelay})
	w.RegisterActivity(&activities.Fleet{Pool: d.Pool, Servers: d.Servers, Delay: d.StepDelay})
	w.RegisterActivity(&activities.Sweeps{Pool: d.Pool})
	notifications := &activities.Notifications{Pool: d.Pool, Email: d.Email, SMS: d.SMS, Limits: d.Limits, TenantURL: d.TenantURL}
	w.RegisterActivity(notifications)
	w.RegisterActivity(&activities.Usage{Pool: d.Pool, Servers: d.Servers, Notify: notifications, SupportEmail: d.SupportEmail})
	return w
}

// Run builds the dependencies from cfg and runs the worker until ctx ends.
func Run(ctx context.Context, cfg config.Config, c client.Client, pool *pgxpool.Pool, log *slog.Logger) error {
	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		return err
	}
	servers, _, err := tenantdb.Open(cfg.TenantDBAdminURL, cfg.TenantTemplateDB, pool, box, cfg.TenantDBCAFile)
	if err != nil {
		return err
	}
	defer servers.Close()
	delay, err := activities.ParseStepDelay(cfg.StepDelay)
	if err != nil {
		return err
	}
	b, email, sms := Providers(cfg)
	backups, where, err := Backups(ctx, cfg)
	if err != nil {
		return err
	}
	log.Info("worker starting", "task_queue", cfg.TaskQueue, "billing", b.Name(),
		"email", email != nil, "sms", sms != nil, "backups", where)
	w := New(c, cfg.TaskQueue, Deps{Pool: pool, Servers: servers, Box: box, Billing: b, Email: email, SMS: sms,
		StepDelay: delay, Backups: backups, SupportEmail: cfg.SupportEmail, TenantURL: cfg.TenantURL,
		Limits: activities.Limits{SMSPerDay: cfg.SMSPerDay, EmailsPerRecipientPerDay: cfg.EmailsPerRecipientPerDay,
			SMSPerRecipientPerDay: cfg.SMSPerRecipientPerDay, PerHour: cfg.MessagesPerHour}})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := EnsureSchedules(ctx, c, Schedules{TaskQueue: cfg.TaskQueue, Every: cfg.SweepInterval,
		Policy: workflows.LifecyclePolicy(cfg.Policy), WarmEvery: cfg.WarmPoolInterval, WarmSize: cfg.WarmPoolSize}); err != nil {
		w.Stop()
		return err
	}
	// Tenant databases behind this release's schema are rolled forward, watched like any rollout.
	if id, err := RollOutTenantSchema(ctx, c, db.New(pool), servers, cfg.TaskQueue); err != nil {
		log.Warn("tenant schema rollout not started", "error", err)
	} else if id != uuid.Nil {
		log.Info("tenant schema rollout started", "fleet_migration", id)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}
