package db

import (
	"context"

	"github.com/google/uuid"
)

// FleetOutcomes counts a rollout's tenants by what became of them.
type FleetOutcomes struct {
	Migrated, Failed, Skipped int
}

// FleetOutcomesOf counts a rollout's tenants by outcome, from their rows.
func (q *Queries) FleetOutcomesOf(ctx context.Context, id uuid.UUID) (FleetOutcomes, error) {
	var o FleetOutcomes
	counts, err := q.FleetMigrationCounts(ctx, id)
	for _, c := range counts {
		switch c.Status {
		case "migrated":
			o.Migrated = int(c.N)
		case "failed":
			o.Failed = int(c.N)
		case "skipped":
			o.Skipped = int(c.N)
		}
	}
	return o, err
}
