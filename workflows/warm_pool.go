package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/landlordhq/landlord/activities"
)

// WarmPoolInput is the number of ready databases to keep in the warm pool of
// every active database server.
type WarmPoolInput struct {
	Size int
}

// WarmPoolResult adds up what the refills did.
type WarmPoolResult struct {
	Ready   int
	Built   int
	Retired int
}

// WarmPoolScheduleID is the ID of the warm pool's Temporal Schedule; prefix
// is empty in production (tests give each run one of its own).
func WarmPoolScheduleID(prefix string) string { return prefix + "warm-pool" }

// WarmPool refills the warm pool of every database server side by side: up to
// Size ready databases from the current template on an active server, none
// on another (its pool is dropped, as are databases built from an older
// template). It runs on a Schedule; onboarding claims what it builds.
func WarmPool(ctx workflow.Context, in WarmPoolInput) (*WarmPoolResult, error) {
	var servers []activities.WarmPoolServer
	lctx := workflow.WithLocalActivityOptions(ctx, localOpts(10*time.Second, time.Minute))
	if err := workflow.ExecuteLocalActivity(lctx, dbs.WarmPoolServers).Get(ctx, &servers); err != nil {
		return nil, err
	}
	rctx := workflow.WithActivityOptions(ctx, alive(10*time.Minute, time.Hour))
	futures := make([]workflow.Future, 0, len(servers))
	for _, s := range servers {
		size := in.Size
		if !s.Active {
			size = 0
		}
		futures = append(futures, workflow.ExecuteActivity(rctx, dbs.RefillWarmPool, activities.RefillInput{ServerID: s.ID, Size: size}))
	}
	res := &WarmPoolResult{}
	var failed error
	for _, f := range futures {
		var r activities.RefillResult
		if err := f.Get(ctx, &r); err != nil {
			failed = err // one server's failure does not stop the others' refills
			continue
		}
		res.Ready, res.Built, res.Retired = res.Ready+r.Ready, res.Built+r.Built, res.Retired+r.Retired
	}
	return res, failed
}
