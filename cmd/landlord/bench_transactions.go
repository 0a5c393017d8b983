package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/landlordhq/landlord/config"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// benchTransactions is "bench transactions [-tenants T] [-c C] [-n N]": the
// enforcement hot path. N metered POST /v1/transactions spread over T tenants
// at concurrency C; then its floor, pgbench sending the statement the endpoint
// sends to the same tenant databases, as their own roles, with C connections
// in all (C/T per tenant database) and as many transactions; then as many GET
// /healthz on the same server, what the HTTP layer alone costs.
func benchTransactions(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlags("bench transactions")
	tenants := fs.Int("tenants", 50, "tenants posting")
	c := fs.Int("c", 16, "requests in flight at once")
	n := fs.Int("n", 20000, "transactions to post")
	profile := fs.String("cpuprofile", "", "write a CPU profile of this process (API, worker and client) while it posts")
	rounds := fs.Int("rounds", 4, "turns the API and pgbench take, n/rounds transactions each")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *rounds < 1 || *n / *rounds < *c {
		return usageError("-rounds must be at least 1, with n/rounds at least -c")
	}
	if *c < *tenants {
		return usageError("-c must be at least -tenants: the floor gives each tenant database c/tenants connections")
	}
	// Every tenant gets its own pool: the bound is sized for the tenants posting.
	cfg.TenantPoolMaxConns = 2 * *tenants
	b, err := startBenchStack(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()

	type poster = txPoster
	posters := make([]poster, *tenants)
	_, _, err = drive(*tenants, 8, func(i int) (time.Duration, error) {
		id, tok, err := b.signup(ctx, fmt.Sprintf("bench-tx-%s-%d", b.queue[6:], i))
		if err != nil {
			return 0, err
		}
		// Limits out of the way: this measures the checks, not their refusals.
		if _, err := b.pool.Exec(ctx, `UPDATE tenants SET max_transactions_per_month = 100000000, api_rate_limit_per_hour = 100000000 WHERE id = $1`, id); err != nil {
			return 0, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/v1/companies", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := benchClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var out struct {
			Companies []struct{ ID uuid.UUID } `json:"companies"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Companies) == 0 {
			return 0, fmt.Errorf("companies of %s: status %d", id, resp.StatusCode)
		}
		posters[i] = poster{tenant: id, token: tok, company: out.Companies[0].ID.String()}
		return 0, nil
	})
	if err != nil {
		return err
	}
	post := func(i int) (time.Duration, error) {
		p := posters[i%len(posters)]
		start := time.Now()
		status, err := b.do(ctx, http.MethodPost, "/v1/transactions", p.token, `{"company_id":"`+p.company+`","amount_cents":1999,"memo":"bench"}`)
		if err == nil && status != http.StatusCreated {
			err = fmt.Errorf("transaction: status %d", status)
		}
		return time.Since(start), err
	}
	if _, _, err := drive(*c*10, *c, post); err != nil { // warm-up: a pool per tenant
		return err
	}
	stopProfile, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	// The API and its floor take turns, a share of the posts each round, so
	// that whatever else the machine does meanwhile weighs on both alike.
	var lat, floorLat []time.Duration
	var wall, floorWall time.Duration
	floorDone := 0
	for range *rounds {
		l, w, err := drive(*n / *rounds, *c, post)
		if err != nil {
			stopProfile()
			return err
		}
		lat, wall = append(lat, l...), wall+w
		done, took, fl, err := b.pgbenchTransactions(ctx, posters, *c, *n / *rounds)
		if err != nil {
			stopProfile()
			return err
		}
		floorDone, floorWall, floorLat = floorDone+done, floorWall+took, append(floorLat, fl...)
	}
	stopProfile()
	floorRate := float64(floorDone) / floorWall.Seconds()
	health, healthWall, err := drive(*n, *c, func(int) (time.Duration, error) {
		start := time.Now()
		_, err := b.do(ctx, http.MethodGet, "/healthz", "", "")
		return time.Since(start), err
	})
	if err != nil {
		return err
	}
	fmt.Printf("enforcement benchmark: %d transactions over %d tenants at concurrency %d, in %d rounds beside the floor\n", len(lat), *tenants, *c, *rounds)
	fmt.Printf("%-34s %8s %8s %8s %10s\n", "", "p50", "p99", "max", "per second")
	reportPct("POST /v1/transactions (metered)", lat, wall, 99)
	r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	fmt.Printf("%-34s %8s %8s %8s %10.1f\n", "floor: pgbench, same statement", r(pct(floorLat, 50)), r(pct(floorLat, 99)), r(pct(floorLat, 100)), floorRate)
	reportPct("GET /healthz (same server)", health, healthWall, 99)
	fmt.Printf("share of pgbench's rate: %.0f%%   p99: %s\n", 100*(float64(len(lat))/wall.Seconds())/floorRate, pct(lat, 99).Round(100*time.Microsecond))
	fmt.Printf("tenant pools open: %d, connection bound %d\n", b.pools.Open(), b.pools.MaxConns())
	return nil
}

// txPoster is a bench tenant: its admin token and its default company.
type txPoster struct {
	tenant         uuid.UUID
	token, company string
}

// pgbenchTransactions runs pgbench against each poster's tenant database,
// side by side, as the tenant's own role, sending the statement
// POST /v1/transactions sends (prepared, as pgx does), conns connections and
// about n transactions in all; it returns how many it ran, how long they took
// and each one's latency.
func (b *benchStack) pgbenchTransactions(ctx context.Context, posters []txPoster, conns, n int) (int, time.Duration, []time.Duration, error) {
	dir, err := os.MkdirTemp("", "landlord-pgbench-")
	if err != nil {
		return 0, 0, nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "post.sql")
	sql := strings.Join(strings.Fields(tenantdb.PostTransactionSQL), " ")
	sql = strings.NewReplacer("$1", "date_trunc('month', now() AT TIME ZONE 'UTC')::date", "$2", "100000000",
		"$3", ":company::uuid", "$4", "1999", "$5", "'bench'", "$6", "now()").Replace(sql)
	if err := os.WriteFile(script, []byte(sql+";\n"), 0o600); err != nil {
		return 0, 0, nil, err
	}
	per := max(conns/len(posters), 1)
	perClient := max(n/(per*len(posters)), 1)
	cmds := make([]*exec.Cmd, 0, len(posters))
	for _, p := range posters {
		var info db.TenantConnInfoRow
		if err := db.InOperatorScope(ctx, b.pool, func(q *db.Queries) (err error) {
			info, err = q.TenantConnInfo(ctx, p.tenant)
			return err
		}); err != nil {
			return 0, 0, nil, fmt.Errorf("tenant %s: %w", p.tenant, err)
		}
		pw, err := b.box.Open(info.DatabasePasswordEnc)
		if err != nil {
			return 0, 0, nil, err
		}
		cmd := exec.CommandContext(ctx, "pgbench", "-n", "-M", "prepared", "-c", fmt.Sprint(per), "-j", fmt.Sprint(per),
			"-t", fmt.Sprint(perClient), "-f", script, "-D", "company="+p.company,
			"-l", "--log-prefix", filepath.Join(dir, "log-"+p.tenant.String()),
			"-h", info.Host, "-p", fmt.Sprint(info.Port), "-U", *info.DatabaseName, *info.DatabaseName)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+string(pw))
		cmds = append(cmds, cmd)
	}
	start := time.Now()
	g := errgroup.Group{}
	for _, cmd := range cmds {
		g.Go(func() error {
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("pgbench: %w: %s", err, out)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, nil, err
	}
	took := time.Since(start)
	lat, err := pgbenchLatencies(dir)
	return perClient * per * len(posters), took, lat, err
}

// pgbenchLatencies reads the per-transaction logs pgbench wrote into dir
// (-l: the third field of each line is the transaction's latency in µs).
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	logs, err := filepath.Glob(filepath.Join(dir, "log-*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, name := range logs {
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("pgbench log %s: %w", name, err)
			}
			out = append(out, time.Duration(us)*time.Microsecond)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pgbench wrote no transaction log in %s", dir)
	}
	return out, nil
}

// startCPUProfile writes a CPU profile to path until the returned func is
// called; with no path it does nothing.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
