// Command erp-example runs the example ERP service (package erp) on the
// tenancy kit. Configuration, from the environment:
//
//	LANDLORD_URL            landlord's API (default http://127.0.0.1:8080)
//	LANDLORD_SERVICE_TOKEN  a service token: landlord token create --role service
//	REDIS_URL               where landlord counts API calls (optional: then not counted here)
//	LISTEN                  the address to serve on (default 127.0.0.1:8090)
package main

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/landlordhq/landlord/examples/erp"
	"github.com/landlordhq/landlord/tenancy"
)

func main() {
	if err := run(); err != nil {
		slog.Error("erp-example stopped", "error", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := tenancy.Config{Landlord: cmp.Or(os.Getenv("LANDLORD_URL"), "http://127.0.0.1:8080"), ServiceToken: os.Getenv("LANDLORD_SERVICE_TOKEN")}
	if url := os.Getenv("REDIS_URL"); url != "" {
		l, err := tenancy.SharedLimiter(url)
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Limiter = l
	}
	kit, err := tenancy.New(cfg)
	if err != nil {
		return err
	}
	defer kit.Close()
	go func() {
		if err := kit.Run(ctx); err != nil && ctx.Err() == nil {
			slog.Error("the change feed stopped", "error", err)
			stop()
		}
	}()
	srv := &http.Server{Addr: cmp.Or(os.Getenv("LISTEN"), "127.0.0.1:8090"), Handler: erp.New(kit), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("erp-example serving", "listen", srv.Addr, "landlord", cfg.Landlord)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
