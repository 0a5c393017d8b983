package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays histories recorded from real runs: a
// change that would break workflows already running fails here. Record a new
// history (temporal workflow show -o json) when a workflow changes behind
// workflow.GetVersion, and keep the old ones.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata: %v", err)
	}
	r := worker.NewWorkflowReplayer()
	for _, wf := range []any{Onboarding, ChangePlan, UpdatePaymentMethod, StripeEvent, TrialEnd, Renewal, Suspend, Reactivate, Offboarding, Sweep} {
		r.RegisterWorkflow(wf)
	}
	for _, f := range files {
		if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
