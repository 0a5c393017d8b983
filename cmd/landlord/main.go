// Command landlord is the control plane of an ERP sold as a service: one binary
// whose subcommands run the API, the Temporal worker, migrations and tools.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/server"
)

const usage = `landlord <command>

commands:
  dev                               migrations, worker and API in one process, for a laptop
  api                               the HTTP API only
  worker                            the Temporal worker only
  migrate                           platform migrations, local database server, tenant template
  fleet migrate [-canary N] [-parallel N] [-max-failures N] [-detach]
                                    roll the tenant migrations out to every tenant database (or follow the open rollout)
  token create --role operator      mint an operator token (printed once)
  bench onboarding [-n N] [-c C]    signup-to-ready latency and throughput against the real stack
  bench lifecycle [-n N]            the trial sweep over N tenants, and how fast a suspension takes effect
  bench transactions [-tenants T] [-c C] [-n N]
                                    metered POST /v1/transactions beside GET /healthz on the same server
  proxy -listen ADDR -to URL,URL    one address in front of several API processes, in turn (make run-cluster)
  openapi                           the API's OpenAPI 3.1 document (also served at /openapi.json)
  version                           the version and the commit it was built from
  help                              this text

Configuration is read from the environment: see the README.
`

// version and commit are set at build time (make build: -ldflags "-X main.version=… -X main.commit=…").
var version, commit = "dev", "unknown"

func versionLine() string { return fmt.Sprintf("landlord %s, commit %s", version, commit) }

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	slog.SetDefault(log)
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	case "version", "-version", "--version":
		fmt.Println(versionLine())
		return
	case "openapi":
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(server.Document()); err != nil {
			log.Error("write the OpenAPI document", "error", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, os.Args[1], os.Args[2:]); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "%s\n\n%s", err, usage)
			os.Exit(2)
		}
		log.Error("landlord stopped", "command", os.Args[1], "error", err)
		os.Exit(1)
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func run(ctx context.Context, log *slog.Logger, cmd string, args []string) error {
	if cmd == "proxy" {
		return runProxy(ctx, log, args)
	}
	if !slices.Contains([]string{"dev", "api", "worker", "migrate", "fleet", "token", "bench"}, cmd) {
		return usageError("unknown command " + cmd)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if cfg.SecretKeyIsDev && cmd != "migrate" && cmd != "token" {
		log.Warn("LANDLORD_SECRET_KEY is not set: using the insecure development key")
	}
	switch cmd {
	case "dev":
		return runDev(ctx, cfg, log)
	case "api":
		return runAPI(ctx, cfg, log)
	case "worker":
		return runWorker(ctx, cfg, log)
	case "migrate":
		return runMigrate(ctx, cfg, log)
	case "fleet":
		return runFleet(ctx, cfg, args)
	case "token":
		return runToken(ctx, cfg, args)
	case "bench":
		return runBench(ctx, cfg, log, args)
	}
	return usageError("unknown command " + cmd)
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
