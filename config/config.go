// Package config reads landlord's settings from the environment.
package config

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/landlordhq/landlord/backup"
)

// Config is every setting landlord reads; Load fills it from the environment.
type Config struct {
	DatabaseURL        string // platform database, as the runtime role (landlord_app)
	MigrateDatabaseURL string // platform database, as its owner: migrations only
	TenantDBAdminURL   string // superuser connection used to create tenant databases and roles
	TenantTemplateDB   string // name of the template every tenant database is cloned from
	TenantDBCAFile     string // PEM roots for registered database servers' TLS; empty: the system's
	LocalServerName    string // name under which migrate registers the local database server
	TemporalAddress    string
	TemporalNamespace  string
	// Mutual TLS to Temporal's frontend: its CA, landlord's client certificate
	// and key, and the name the frontend's certificate carries. All empty: plain gRPC.
	TemporalTLSCAFile, TemporalTLSCertFile, TemporalTLSKeyFile, TemporalTLSServerName string
	TaskQueue                                                                         string
	ListenAddr                                                                        string
	MetricsAddr                                                                       string // landlord worker serves /metrics here when set
	OperatorToken                                                                     string // optional: a fixed operator token, for development
	SecretKey                                                                         [32]byte
	SecretKeyIsDev                                                                    bool

	StripeSecretKey     string
	StripeBackendURL    string // optional: another Stripe API base, e.g. stripe-mock in tests
	StripeWebhookSecret string
	SendGridAPIKey      string
	SendGridBaseURL     string
	EmailFrom           string
	TwilioAccountSID    string
	TwilioAuthToken     string
	TwilioBaseURL       string
	TwilioFromNumber    string

	SignupsPerHourPerAddress int
	TrustProxyHeaders        bool
	ShutdownTimeout          time.Duration
	RedisURL                 string   // shared API rate limits when set
	SupportEmail             string   // operator-facing alerts
	TenantURL                string   // where a tenant's ERP answers, {subdomain} filled in; in messages to its admin
	CodecKey                 string   // admits POST /codec/k/{key}/decode, a Web UI's codec endpoint; empty: none
	CodecOrigins             []string // Web UI origins the codec endpoints admit
	SMSPerDay                int      // SMS a tenant may be sent a day; 0: no limit
	EmailsPerRecipientPerDay int      // emails to one address in 24 hours, all tenants; 0: no limit
	SMSPerRecipientPerDay    int      // SMS to one number in 24 hours, all tenants; 0: no limit
	MessagesPerHour          int      // messages of all tenants in an hour; 0: no limit
	TenantPoolMaxConns       int      // bound on connections to all tenant databases from one API process
	TenantPoolConnsPerTen    int
	TenantPoolIdle           time.Duration
	BackupDir                string // absolute; where dumps go without S3
	BackupS3                 backup.S3Config
	SweepInterval            time.Duration // how often the sweep schedules run
	WarmPoolSize             int           // ready pooled databases kept per active database server; 0: no pool
	WarmPoolInterval         time.Duration // how often the warm pool is refilled
	MoveDropAfter            time.Duration // how long a moved tenant's old copy is kept
	Policy                   Policy
	// StepDelay pauses one onboarding step before it runs ("seed_tenant=10s");
	// fault-injection for crash tests, never set in production.
	StepDelay string
}

// Policy is the lifecycle calendar (see workflows.LifecyclePolicy).
type Policy struct {
	TrialReminder          time.Duration
	Grace                  time.Duration
	DunningRetries         []time.Duration
	Retention              time.Duration
	SuspendedOffboardAfter time.Duration
	OffboardWarning        time.Duration
}

// devSecret is the key used when LANDLORD_SECRET_KEY is unset; fine on a laptop only.
const devSecret = "landlord-development-key-do-not-use-in-production"

// Load reads the environment, applying working defaults for a local machine.
func Load() (Config, error) {
	c := Config{
		DatabaseURL:           env("DATABASE_URL", "postgres://landlord_app@127.0.0.1:5432/landlord?sslmode=disable"),
		MigrateDatabaseURL:    env("MIGRATE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/landlord?sslmode=disable"),
		TenantTemplateDB:      env("TENANT_TEMPLATE_DB", "landlord_tenant_template"),
		LocalServerName:       env("LOCAL_DB_SERVER_NAME", "local"),
		TemporalAddress:       env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace:     env("TEMPORAL_NAMESPACE", "default"),
		TemporalTLSCAFile:     os.Getenv("TEMPORAL_TLS_CA_FILE"),
		TemporalTLSCertFile:   os.Getenv("TEMPORAL_TLS_CERT_FILE"),
		TemporalTLSKeyFile:    os.Getenv("TEMPORAL_TLS_KEY_FILE"),
		TemporalTLSServerName: os.Getenv("TEMPORAL_TLS_SERVER_NAME"),
		TaskQueue:             env("TEMPORAL_TASK_QUEUE", "landlord"),
		ListenAddr:            env("LISTEN_ADDR", "127.0.0.1:8080"),
		MetricsAddr:           os.Getenv("METRICS_ADDR"),
		OperatorToken:         os.Getenv("LANDLORD_OPERATOR_TOKEN"),
		StripeSecretKey:       os.Getenv("STRIPE_SECRET_KEY"),
		StripeBackendURL:      os.Getenv("STRIPE_API_BASE"),
		StripeWebhookSecret:   os.Getenv("STRIPE_WEBHOOK_SECRET"),
		SendGridAPIKey:        os.Getenv("SENDGRID_API_KEY"),
		SendGridBaseURL:       env("SENDGRID_API_BASE", "https://api.sendgrid.com"),
		EmailFrom:             env("EMAIL_FROM", "landlord@localhost"),
		TwilioAccountSID:      os.Getenv("TWILIO_ACCOUNT_SID"),
		TwilioAuthToken:       os.Getenv("TWILIO_AUTH_TOKEN"),
		TwilioBaseURL:         env("TWILIO_API_BASE", "https://api.twilio.com"),
		TwilioFromNumber:      os.Getenv("TWILIO_FROM_NUMBER"),
		StepDelay:             os.Getenv("LANDLORD_STEP_DELAY"),
	}
	c.TenantDBAdminURL = env("TENANT_DB_ADMIN_URL", c.MigrateDatabaseURL)
	c.TenantDBCAFile = os.Getenv("TENANT_DB_CA_FILE")

	secret := os.Getenv("LANDLORD_SECRET_KEY")
	if secret == "" {
		secret, c.SecretKeyIsDev = devSecret, true
	} else if len(secret) < 32 {
		return c, fmt.Errorf("LANDLORD_SECRET_KEY must be at least 32 characters")
	}
	c.SecretKey = sha256.Sum256([]byte(secret))

	var err error
	if c.SignupsPerHourPerAddress, err = envInt("SIGNUP_RATE_PER_HOUR", 20); err != nil {
		return c, err
	}
	if c.TrustProxyHeaders, err = envBool("TRUST_PROXY_HEADERS", false); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = envDuration("SHUTDOWN_TIMEOUT", 20*time.Second); err != nil {
		return c, err
	}
	c.BackupDir = env("BACKUP_DIR", "/var/lib/landlord/backups")
	if !filepath.IsAbs(c.BackupDir) {
		return c, fmt.Errorf("BACKUP_DIR must be an absolute path, not %q", c.BackupDir)
	}
	c.BackupS3 = backup.S3Config{Endpoint: os.Getenv("BACKUP_S3_ENDPOINT"), Region: env("BACKUP_S3_REGION", "us-east-1"),
		Bucket: os.Getenv("BACKUP_S3_BUCKET"), Prefix: os.Getenv("BACKUP_S3_PREFIX"),
		AccessKey: os.Getenv("BACKUP_S3_ACCESS_KEY"), SecretKey: os.Getenv("BACKUP_S3_SECRET_KEY")}
	c.RedisURL = os.Getenv("REDIS_URL")
	c.SupportEmail = env("SUPPORT_EMAIL", "support@localhost")
	c.TenantURL = env("TENANT_URL_TEMPLATE", "http://{subdomain}.localhost")
	if c.CodecKey = os.Getenv("CODEC_KEY"); c.CodecKey != "" && len(c.CodecKey) < 32 {
		return c, errors.New("CODEC_KEY must be at least 32 characters: it is all a Web UI's codec endpoint needs to decode")
	}
	c.CodecOrigins = strings.Split(env("CODEC_CORS_ORIGINS", "http://127.0.0.1:8233,http://localhost:8233"), ",")
	if !strings.Contains(c.TenantURL, "{subdomain}") {
		return c, fmt.Errorf("TENANT_URL_TEMPLATE must contain {subdomain}, not %q", c.TenantURL)
	}
	if c.SMSPerDay, err = envInt("SMS_PER_TENANT_PER_DAY", 10); err != nil {
		return c, err
	}
	if c.EmailsPerRecipientPerDay, err = envInt("EMAILS_PER_RECIPIENT_PER_DAY", 10); err != nil {
		return c, err
	}
	if c.SMSPerRecipientPerDay, err = envInt("SMS_PER_RECIPIENT_PER_DAY", 3); err != nil {
		return c, err
	}
	if c.MessagesPerHour, err = envInt("MESSAGES_PER_HOUR", 2000); err != nil {
		return c, err
	}
	if c.TenantPoolMaxConns, err = envInt("TENANT_POOL_MAX_CONNS", 40); err != nil {
		return c, err
	}
	if c.TenantPoolConnsPerTen, err = envInt("TENANT_POOL_CONNS_PER_TENANT", 2); err != nil {
		return c, err
	}
	if c.TenantPoolIdle, err = envDuration("TENANT_POOL_IDLE", 5*time.Minute); err != nil {
		return c, err
	}
	if c.MoveDropAfter, err = envDuration("MOVE_DROP_AFTER", 24*time.Hour); err != nil {
		return c, err
	}
	if c.SweepInterval, err = envDuration("SWEEP_INTERVAL", 5*time.Minute); err != nil {
		return c, err
	}
	if c.WarmPoolSize, err = envInt("WARM_POOL_SIZE", 4); err != nil {
		return c, err
	}
	if c.WarmPoolInterval, err = envDuration("WARM_POOL_INTERVAL", 30*time.Second); err != nil {
		return c, err
	}
	if c.WarmPoolSize < 0 || c.WarmPoolSize > 1000 || c.WarmPoolInterval < time.Second {
		return c, fmt.Errorf("WARM_POOL_SIZE must be 0 to 1000 and WARM_POOL_INTERVAL at least 1s")
	}
	day := 24 * time.Hour
	p := &c.Policy
	for _, d := range []struct {
		key string
		def time.Duration
		dst *time.Duration
	}{
		{"TRIAL_REMINDER_BEFORE", 3 * day, &p.TrialReminder},
		{"GRACE_PERIOD", 14 * day, &p.Grace},
		{"RETENTION_PERIOD", 30 * day, &p.Retention},
		{"SUSPENDED_OFFBOARD_AFTER", 21 * day, &p.SuspendedOffboardAfter},
		{"OFFBOARD_WARNING", 2 * day, &p.OffboardWarning},
	} {
		if *d.dst, err = envDuration(d.key, d.def); err != nil {
			return c, err
		}
	}
	if p.DunningRetries, err = envDurations("DUNNING_RETRIES", []time.Duration{day, 3 * day, 7 * day}); err != nil {
		return c, err
	}
	return c, nil
}

// envDurations reads a comma-separated list of durations.
func envDurations(key string, def []time.Duration) ([]time.Duration, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s must be durations such as 24h,72h,168h, got %q", key, v)
		}
		out = append(out, d)
	}
	return out, nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a whole number, got %q", key, v)
	}
	return n, nil
}

func envBool(key string, def bool) (bool, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, got %q", key, v)
	}
	return b, nil
}

func envDuration(key string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s must be a duration such as 20s, got %q", key, v)
	}
	return d, nil
}
