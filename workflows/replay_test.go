package workflows

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/landlordhq/landlord/secrets"
	"github.com/landlordhq/landlord/testenv"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (workflows/testdata, written by `go test ./e2e -run TestRecordHistories
// -args -record`), through the payload codec as the worker reads them: a
// change that would break workflows already running fails here. Every
// registered workflow type must have one. When a workflow changes behind
// workflow.GetVersion, record again and keep the old histories.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	box, err := secrets.NewBox(sha256.Sum256([]byte(testenv.SecretKey)))
	require.NoError(t, err)
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: secrets.DataConverter(box)})
	require.NoError(t, err)
	for _, wf := range All {
		r.RegisterWorkflow(wf)
	}
	recorded := map[string]int{}
	for _, f := range files {
		recorded[historyType(t, f)]++
		if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, wf := range All {
		name := runtime.FuncForPC(reflect.ValueOf(wf).Pointer()).Name()
		name = name[strings.LastIndex(name, ".")+1:]
		assert.Positive(t, recorded[name], "no recorded history of %s in testdata", name)
	}
}

// historyType is the workflow type of a recorded history.
func historyType(t *testing.T, file string) string {
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var h struct {
		Events []struct {
			Attrs struct {
				Type struct{ Name string } `json:"workflowType"`
			} `json:"workflowExecutionStartedEventAttributes"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal(raw, &h), file)
	require.NotEmpty(t, h.Events, file)
	return h.Events[0].Attrs.Type.Name
}
