package main

import (
	"context"
	"log/slog"

	"github.com/landlordhq/landlord/config"
)

func runBench(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	return usageError("bench: not yet")
}
