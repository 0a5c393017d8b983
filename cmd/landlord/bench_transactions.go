package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/landlordhq/landlord/config"
)

// benchTransactions is "bench transactions [-tenants T] [-c C] [-n N]": the
// enforcement hot path. N metered POST /v1/transactions spread over T tenants
// at concurrency C, then as many GET /healthz on the same server, so the ratio
// shows what authentication, rate limiting and the limit check cost.
func benchTransactions(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := newFlags("bench transactions")
	tenants := fs.Int("tenants", 50, "tenants posting")
	c := fs.Int("c", 16, "requests in flight at once")
	n := fs.Int("n", 20000, "transactions to post")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	// Every tenant gets its own pool: the bound is sized for the tenants posting.
	cfg.TenantPoolMaxConns = 2 * *tenants
	b, err := startBenchStack(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer b.close()

	type poster struct{ token, company string }
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
		resp, err := http.DefaultClient.Do(req)
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
		posters[i] = poster{token: tok, company: out.Companies[0].ID.String()}
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
	lat, wall, err := drive(*n, *c, post)
	if err != nil {
		return err
	}
	health, healthWall, err := drive(*n, *c, func(int) (time.Duration, error) {
		start := time.Now()
		_, err := b.do(ctx, http.MethodGet, "/healthz", "", "")
		return time.Since(start), err
	})
	if err != nil {
		return err
	}
	fmt.Printf("enforcement benchmark: %d transactions over %d tenants at concurrency %d\n", *n, *tenants, *c)
	fmt.Printf("%-34s %8s %8s %8s %10s\n", "", "p50", "p99", "max", "per second")
	reportPct("POST /v1/transactions (metered)", lat, wall, 99)
	reportPct("GET /healthz (same server)", health, healthWall, 99)
	fmt.Printf("tenant pools open: %d, connection bound %d\n", b.pools.Open(), b.pools.MaxConns())
	return nil
}
