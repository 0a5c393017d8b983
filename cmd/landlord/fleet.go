package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/workflows"
)

// runFleet is `landlord fleet migrate`: start a rollout of the tenant
// migrations this release knows (or follow the one open) and show its
// progress until it finishes or pauses; -detach starts it and returns.
func runFleet(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) == 0 || args[0] != "migrate" {
		return usageError("usage: landlord fleet migrate [-canary N] [-parallel N] [-max-failures N] [-detach]")
	}
	fs := newFlags("fleet migrate")
	o := workflows.DefaultFleetOptions
	fs.IntVar(&o.Canary, "canary", o.Canary, "tenant databases migrated one at a time first")
	fs.IntVar(&o.Parallel, "parallel", o.Parallel, "tenant databases migrated at once per database server")
	fs.IntVar(&o.MaxFailures, "max-failures", o.MaxFailures, "more failures than this pause the rollout")
	detach := fs.Bool("detach", false, "start it and return")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	pool, tc, err := connect(ctx, cfg, slog.Default(), true)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer tc.Close()
	q := db.New(pool)
	id, err := workflows.StartFleetMigration(ctx, tc, q, cfg.TaskQueue, o, "cli")
	if errors.Is(err, workflows.ErrRolloutOpen) {
		open, err := q.FleetMigrationOpen(ctx)
		if err != nil {
			return err
		}
		id = open.ID
		fmt.Printf("a rollout is already %s: following %s\n", open.Status, id)
	} else if err != nil {
		return err
	} else {
		fmt.Printf("rollout %s started\n", id)
	}
	if *detach {
		return nil
	}
	return followFleet(ctx, q, id, os.Stdout, isTerminal(os.Stdout))
}

// followFleet prints a rollout's progress once a second until it finishes or
// pauses: one line redrawn on a terminal, a line per change elsewhere.
func followFleet(ctx context.Context, q *db.Queries, id uuid.UUID, out io.Writer, terminal bool) error {
	last := ""
	for {
		p, err := fleetProgressOf(ctx, q, id)
		if err != nil {
			return err
		}
		line := p.line(40)
		switch {
		case terminal:
			fmt.Fprintf(out, "\r%s", line)
		case line != last:
			fmt.Fprintln(out, line)
		}
		last = line
		if p.Status != "running" {
			if terminal {
				fmt.Fprintln(out)
			}
			for _, f := range p.Failures {
				fmt.Fprintf(out, "  %s: %s\n", f.TenantID, deref(f.Error))
			}
			if p.Status == "failed" || p.Status == "aborted" {
				return fmt.Errorf("the rollout %s", p.Status)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

type fleetProgress struct {
	Status                           string
	PausedReason                     *string
	Target                           int64
	Total, Migrated, Failed, Skipped int
	Failures                         []db.FleetMigrationFailuresRow
}

func fleetProgressOf(ctx context.Context, q *db.Queries, id uuid.UUID) (fleetProgress, error) {
	m, err := q.FleetMigrationGet(ctx, id)
	if err != nil {
		return fleetProgress{}, err
	}
	p := fleetProgress{Status: m.Status, PausedReason: m.PausedReason, Target: m.TargetVersion, Total: int(m.Total)}
	o, err := q.FleetOutcomesOf(ctx, id)
	if err != nil {
		return p, err
	}
	p.Migrated, p.Failed, p.Skipped = o.Migrated, o.Failed, o.Skipped
	if p.Status != "running" {
		p.Failures, err = q.FleetMigrationFailures(ctx, db.FleetMigrationFailuresParams{FleetID: id, RowLimit: 20})
	}
	return p, err
}

// line is the progress as one line with a bar of width characters.
func (p fleetProgress) line(width int) string {
	done := p.Migrated + p.Failed + p.Skipped
	filled := 0
	if p.Total > 0 {
		filled = min(width, done*width/p.Total)
	}
	s := fmt.Sprintf("[%s%s] %d/%d to v%d: %d migrated, %d failed, %d skipped — %s", strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), done, p.Total, p.Target, p.Migrated, p.Failed, p.Skipped, p.Status)
	if p.PausedReason != nil && p.Status == "paused" {
		s += " (" + *p.PausedReason + ")"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
