package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkThePortalsFirstRender measures the portal's first page on a first
// visit (nothing cached) in Debian's chromium, served by landlord on localhost:
// go test ./e2e -run '^$' -bench FirstRender -benchtime 1x (make bench-portal).
func BenchmarkThePortalsFirstRender(b *testing.B) {
	s := newStack(b, stackOptions{portal: portalFiles(b), noWorker: true})
	for b.Loop() {
		cmd := exec.Command("node", "e2e/first_render.mjs", s.url, "20")
		cmd.Dir = filepath.Join("..", "web")
		out, err := cmd.Output()
		require.NoError(b, err, "%s", out)
		var r struct {
			Runs  int     `json:"runs"`
			P50MS float64 `json:"p50_ms"`
			MaxMS float64 `json:"max_ms"`
		}
		require.NoError(b, json.Unmarshal(out, &r), "%s", out)
		b.ReportMetric(r.P50MS, "ms_p50")
		b.ReportMetric(r.MaxMS, "ms_max")
		b.ReportMetric(float64(r.Runs), "visits")
	}
}
