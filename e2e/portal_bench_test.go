package e2e

import (
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

// BenchmarkMovingATenantOfAbout100MB moves a tenant whose database holds about
// 100 MB (postings) from the local server to a second PostgreSQL over TLS, and
// reports the write downtime the move recorded (closing the source to opening
// the copy) and the whole move: go test ./e2e -run '^$' -bench Moving -benchtime 1x.
func BenchmarkMovingATenantOfAbout100MB(b *testing.B) {
	second := testenv.StartTLSPostgres(b)
	s := newStack(b, stackOptions{tenantDBRoots: second.Roots, moveDropAfter: time.Hour})
	code, out := s.call(http.MethodPost, "/v1/database-servers", s.operator, map[string]any{"name": "second", "host": "127.0.0.1",
		"port": second.Port, "admin_user": "postgres", "admin_password": second.Password, "tls": "verify-full"})
	require.Equal(b, http.StatusCreated, code, out)
	for b.Loop() {
		b.StopTimer()
		// Placed on local (the emptiest by name), then filled to about 100 MB.
		id, _ := s.createTenant("big-"+uuid.NewString()[:8], "enterprise")
		conn, err := s.servers.Connect(b.Context(), s.servers.Local(), tenantdb.Name(id))
		require.NoError(b, err)
		_, err = conn.Exec(b.Context(), `INSERT INTO transactions (company_id, amount_cents, memo)
			SELECT (SELECT id FROM companies LIMIT 1), g, repeat(md5(g::text), 2) FROM generate_series(1, 700000) g`)
		require.NoError(b, err)
		var size int64
		require.NoError(b, conn.QueryRow(b.Context(), `SELECT pg_database_size(current_database())`).Scan(&size))
		conn.Close(b.Context())
		b.StartTimer()
		start := time.Now()
		code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/move", s.operator, map[string]any{"server": "second", "reason": "benchmark"})
		require.Equal(b, http.StatusAccepted, code, out)
		require.Eventually(b, func() bool { return s.databaseServerOf(id) == "second" }, 10*time.Minute, 50*time.Millisecond)
		whole := time.Since(start)
		moved := s.auditActions(id)["TENANT_MOVED"]
		b.ReportMetric(float64(size)/1e6, "MB")
		b.ReportMetric(moved["write_downtime_ms"].(float64), "ms_write_downtime")
		b.ReportMetric(float64(whole.Milliseconds()), "ms_move")
	}
}
