package e2e

import (
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/tenantdb"
	"github.com/landlordhq/landlord/testenv"
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

// BenchmarkMovingATenantOfAbout100MB moves a tenant whose database holds
// about 100 MB (postings) to another PostgreSQL over TLS, and reports the
// write downtime the move recorded (the tenant shut out to the copy opened)
// and the whole move: from the local server (which does not publish: copy),
// and from a server with wal_level = logical (logical replication):
// go test ./e2e -run '^$' -bench Moving -benchtime 1x.
func BenchmarkMovingATenantOfAbout100MB(b *testing.B) {
	publishing := testenv.StartTLSPostgres(b, "wal_level=logical")
	second := testenv.StartTLSPostgres(b)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(publishing.CAPEM)
	roots.AppendCertsFromPEM(second.CAPEM)
	s := newStack(b, stackOptions{tenantDBRoots: roots, moveDropAfter: time.Hour})
	s.registerServer("publishing", publishing)
	s.registerServer("second", second)
	move := func(id uuid.UUID, to string) {
		code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": to, "reason": "benchmark"})
		require.Equal(b, http.StatusAccepted, code, out)
		require.Eventually(b, func() bool { return s.databaseServerOf(id) == to }, 10*time.Minute, 50*time.Millisecond)
	}
	fill := func(id uuid.UUID, on tenantdb.Server) (size int64) {
		conn, err := s.servers.Connect(b.Context(), on, tenantdb.Name(id))
		require.NoError(b, err)
		defer conn.Close(b.Context())
		_, err = conn.Exec(b.Context(), `INSERT INTO transactions (company_id, amount_cents, memo)
			SELECT (SELECT id FROM companies LIMIT 1), g, repeat(md5(g::text), 2) FROM generate_series(1, 700000) g`)
		require.NoError(b, err)
		require.NoError(b, conn.QueryRow(b.Context(), `SELECT pg_database_size(current_database())`).Scan(&size))
		return size
	}
	for _, from := range []string{"local", "publishing"} {
		b.Run("from_"+from, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				// Placed on local (it sorts first among the emptiest); moved to the publishing server first when that is the source.
				id, _ := s.createTenant("big-"+uuid.NewString()[:8], "enterprise")
				to := "second"
				if from == "publishing" {
					move(id, "publishing")
				}
				size := fill(id, s.serverAt(b, from))
				b.StartTimer()
				start := time.Now()
				move(id, to)
				whole := time.Since(start)
				var moved map[string]any // the latest move's record
				require.NoError(b, s.db.Pool.QueryRow(b.Context(), `SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'TENANT_MOVED'
					ORDER BY id DESC LIMIT 1`, id).Scan(&moved))
				b.Logf("from %s: %v", from, moved)
				b.ReportMetric(float64(size)/1e6, "MB")
				b.ReportMetric(moved["write_downtime_ms"].(float64), "ms_write_downtime")
				b.ReportMetric(float64(whole.Milliseconds()), "ms_move")
			}
		})
	}
}
