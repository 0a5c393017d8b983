package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/server"
	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/token"
	"github.com/landlordhq/landlord/web"
	"github.com/landlordhq/landlord/worker"
	"github.com/landlordhq/landlord/workflows"
)

// runMigrate applies the platform migrations, registers the local database
// server and builds the tenant template.
func runMigrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := db.EnsureDatabase(ctx, cfg.MigrateDatabaseURL); err != nil {
		return err
	}
	if err := db.MigratePlatform(ctx, cfg.MigrateDatabaseURL, log); err != nil {
		return fmt.Errorf("migrate platform database: %w", err)
	}
	pool, err := db.Open(ctx, cfg.MigrateDatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		return err
	}
	servers, _, err := tenantdb.Open(cfg.TenantDBAdminURL, cfg.TenantTemplateDB, pool, box, cfg.TenantDBCAFile)
	if err != nil {
		return err
	}
	defer servers.Close()
	local := servers.Local()
	if _, err := db.New(pool).DatabaseServerUpsert(ctx, db.DatabaseServerUpsertParams{
		Name: cfg.LocalServerName, Host: local.Host, Port: int32(local.Port), Kind: "shared", MaxTenants: 500,
	}); err != nil {
		return fmt.Errorf("register local database server: %w", err)
	}
	tpl, err := servers.EnsureTemplate(ctx, local, log)
	if err != nil {
		return err
	}
	if err := db.New(pool).DatabaseServerSetTemplate(ctx, db.DatabaseServerSetTemplateParams{
		Host: local.Host, Port: int32(local.Port), Version: &tpl.Version, Digest: &tpl.Digest}); err != nil {
		return err
	}
	if err := db.SetRuntimePassword(ctx, pool, cfg.DatabaseURL); err != nil {
		return err
	}
	log.Info("migrated", "database_server", cfg.LocalServerName, "template", cfg.TenantTemplateDB)
	return nil
}

func runWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	pool, tc, err := connect(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer tc.Close()
	defer serveMetrics(cfg.MetricsAddr, log)()
	return worker.Run(ctx, cfg, tc, pool, log)
}

// serveMetrics serves /metrics on addr, a listener of its own for the private
// network (the API's public address does not serve it: it tells how many
// tenants are on which plan); it returns how to stop. No addr, no server.
func serveMetrics(addr string, log *slog.Logger) (stop func()) {
	if addr == "" {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	ms := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	return func() { _ = ms.Close() }
}

func runAPI(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	pool, tc, err := connect(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer tc.Close()
	if err := installOperatorToken(ctx, pool, cfg.OperatorToken); err != nil {
		return err
	}
	defer serveMetrics(cfg.MetricsAddr, log)()
	return serve(ctx, cfg, log, pool, tc)
}

// runDev runs migrations, the worker and the API in one process.
func runDev(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if err := runMigrate(ctx, cfg, log); err != nil {
		return err
	}
	pool, tc, err := connect(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer tc.Close()
	// The worker is the operator path; the API scopes each read to its caller.
	workerPool, err := db.OpenOperator(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer workerPool.Close()
	if cfg.OperatorToken == "" {
		cfg.OperatorToken, _, _ = token.New(token.RoleOperator)
	}
	if err := installOperatorToken(ctx, pool, cfg.OperatorToken); err != nil {
		return err
	}
	defer serveMetrics(cfg.MetricsAddr, log)()
	fmt.Printf("\nlandlord API   http://%s\noperator token %s\n", cfg.ListenAddr, bannerToken(cfg.OperatorToken))
	if cfg.MetricsAddr != "" {
		fmt.Printf("metrics        http://%s/metrics\n", cfg.MetricsAddr)
	}
	fmt.Println()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return worker.Run(gctx, cfg, tc, workerPool, log) })
	g.Go(func() error { return serve(gctx, cfg, log, pool, tc) })
	return g.Wait()
}

// serve runs the API until ctx ends, then drains requests for up to ShutdownTimeout.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, pool *pgxpool.Pool, tc client.Client) error {
	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		return err
	}
	servers, roots, err := tenantdb.Open(cfg.TenantDBAdminURL, cfg.TenantTemplateDB, pool, box, cfg.TenantDBCAFile)
	if err != nil {
		return err
	}
	defer servers.Close()
	pools := tenantdb.NewPools(servers, cfg.TenantPoolMaxConns, cfg.TenantPoolConnsPerTen, cfg.TenantPoolIdle)
	defer pools.Close()
	if err := server.RegisterStateMetrics(pool, pools, log); err != nil {
		return err
	}
	var limiter ratelimit.Limiter = ratelimit.NewMemory()
	if cfg.RedisURL != "" {
		r, err := ratelimit.NewRedis(cfg.RedisURL, ratelimit.SharedPrefix)
		if err != nil {
			return err
		}
		defer r.Close()
		limiter = r
	}
	e := server.New(server.Options{Pool: pool, Temporal: tc, TaskQueue: cfg.TaskQueue, Log: log,
		TenantPools: pools, Box: box, RateLimiter: limiter, TenantDBRoots: roots,
		CodecKey: cfg.CodecKey, CodecOrigins: cfg.CodecOrigins, Portal: portalFiles(log),
		SignupsPerHour: cfg.SignupsPerHourPerAddress, TrustProxyHeaders: cfg.TrustProxyHeaders,
		StripeWebhookSecret: cfg.StripeWebhookSecret, Policy: workflows.LifecyclePolicy(cfg.Policy), MoveDropAfter: cfg.MoveDropAfter,
		TenantURL: cfg.TenantURL})
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	e.Listener = ln
	e.Server.ReadHeaderTimeout = 10 * time.Second
	errc := make(chan error, 1)
	go func() { errc <- e.Start("") }()
	log.Info("api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := e.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down api: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// connect opens the platform database pool and the Temporal client, waiting up
// to a minute for Temporal to answer.
// On the operator path (workers) the pool sees every tenant's rows; otherwise
// (the API) each read is scoped to its caller.
func connect(ctx context.Context, cfg config.Config, log *slog.Logger, operatorPath bool) (*pgxpool.Pool, client.Client, error) {
	open := db.Open
	if operatorPath {
		open = db.OpenOperator
	}
	pool, err := open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	if err := db.CheckRuntimeRole(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	box, err := secrets.NewBox(cfg.SecretKey)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	opts, err := temporalOptions(cfg, log, box)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		tc, err := client.DialContext(ctx, opts)
		if err == nil {
			return pool, tc, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("connect to temporal at %s: %w", cfg.TemporalAddress, err)
		}
		log.Info("waiting for temporal", "address", cfg.TemporalAddress, "error", err)
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
		}
	}
}

// installOperatorToken stores the hash of LANDLORD_OPERATOR_TOKEN as an operator token.
func installOperatorToken(ctx context.Context, pool *pgxpool.Pool, plain string) error {
	if plain == "" {
		return nil
	}
	if len(plain) < 16 {
		return errors.New("LANDLORD_OPERATOR_TOKEN must be at least 16 characters")
	}
	_, err := db.New(pool).APITokenInsert(ctx, db.APITokenInsertParams{
		TokenHash: token.Hash(plain), Prefix: token.Prefix(plain), Role: token.RoleOperator, Name: "LANDLORD_OPERATOR_TOKEN",
		CreatedBy: "env:LANDLORD_OPERATOR_TOKEN",
	})
	if err != nil {
		return fmt.Errorf("install operator token: %w", err)
	}
	return nil
}

// runToken is "token create --role operator [--name NAME]".
func runToken(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("usage: landlord token create --role operator|service [--name NAME]")
	}
	fs := newFlags("token create")
	role := fs.String("role", "", "token role: operator, or service (an ERP service: it may only resolve tenants)")
	name := fs.String("name", "cli", "a name to recognise the token by")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	if *role != token.RoleOperator && *role != token.RoleService {
		return usageError("--role must be operator or service (tenant tokens come from POST /v1/tenants/{id}/tokens)")
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	plain, hash, prefix := token.New(*role)
	err = db.InOperatorScope(ctx, pool, func(q *db.Queries) error {
		id, err := q.APITokenInsert(ctx, db.APITokenInsertParams{TokenHash: hash, Prefix: prefix, Role: *role, Name: *name, CreatedBy: "cli"})
		if err != nil {
			return err
		}
		return q.AuditInsert(ctx, db.AuditInsertParams{Actor: "cli", Action: "TOKEN_CREATED",
			Details: []byte(`{"token_id":"` + id.String() + `","role":"` + *role + `"}`)})
	})
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	fmt.Println(plain)
	return nil
}

// bannerToken is the operator token as the banner shows it: whole on a
// terminal, only its prefix where the output may end up in a log.
func bannerToken(tok string) string {
	if isTerminal(os.Stdout) {
		return tok
	}
	return token.Prefix(tok) + "… (shown whole only on a terminal; it is LANDLORD_OPERATOR_TOKEN)"
}

// portalFiles is the portal embedded at build time, or nil when the binary
// was built without it (make web builds it; make build and make run do).
func portalFiles(log *slog.Logger) fs.FS {
	files, built := web.Dist()
	if !built {
		log.Warn("the portal is not built into this binary: run make build (it runs make web)")
		return nil
	}
	return files
}
