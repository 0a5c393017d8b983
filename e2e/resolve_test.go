package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	ID, Event string
	Data      map[string]any
	At        time.Time
}

// openFeed opens the change feed with a service token (after a version when
// lastEventID is not empty) and returns its events as they arrive.
func (s *stack) openFeed(t *testing.T, svc, lastEventID string) <-chan sseEvent {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v1/resolve/changes", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+svc)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := make(chan sseEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				e.At = time.Now()
				events <- e
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				e.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e.Data)
			}
		}
	}()
	return events
}

// statusSeen reports when a poller of the tenant's row (every 5 ms) first
// sees it in status: the moment a change committed, give or take 5 ms.
func (s *stack) statusSeen(id uuid.UUID, status string) <-chan time.Time {
	seen := make(chan time.Time, 1)
	go func() {
		for ctx := s.t.Context(); ctx.Err() == nil; time.Sleep(5 * time.Millisecond) {
			var now string
			if s.db.Pool.QueryRow(ctx, `SELECT status FROM tenants WHERE id = $1`, id).Scan(&now) == nil && now == status {
				seen <- time.Now()
				return
			}
		}
	}()
	return seen
}

// resolveRaw asks GET /v1/resolve with a service token and an optional
// If-None-Match, returning the status, ETag and answer.
func (s *stack) resolveRaw(t *testing.T, svc, query, etag string) (int, string, map[string]any) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/v1/resolve?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+svc)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]any{}
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, resp.Header.Get("ETag"), out
}

// TestAServiceResolvesATenantByItsHostAndConnectsToItsDatabase: a service
// token learns, from a request's Host, the tenant, its plan's limits and a
// database login that works; unknown hosts are 404; no other token resolves
// and a service token does nothing else.
func TestAServiceResolvesATenantByItsHostAndConnectsToItsDatabase(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, admin := s.createTenant("resolve-me", "starter")
	svc := s.serviceToken()

	code, etag, out := s.resolveRaw(t, svc, "host=Resolve-Me.localhost:8080", "")
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, id.String(), out["tenant_id"])
	assert.Equal(t, "active", out["status"])
	assert.Equal(t, true, out["serving"])
	assert.Equal(t, strconv.Quote(fmt.Sprint(out["version"])), etag, "the ETag is the version")
	plan := out["plan"].(map[string]any)
	assert.Equal(t, "starter", plan["code"])
	assert.NotZero(t, plan["limits"].(map[string]any)["max_transactions_per_month"])

	// The database login works: the service reaches the tenant's own data.
	d := out["database"].(map[string]any)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://%s@%s:%v/%s?sslmode=disable", d["role"], d["host"], d["port"], d["name"]))
	require.NoError(t, err)
	cfg.Password = d["password"].(string)
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	require.NoError(t, err)
	var companies int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM companies`).Scan(&companies))
	conn.Close(t.Context())
	assert.Equal(t, 1, companies)

	code, _, same := s.resolveRaw(t, svc, "subdomain=resolve-me", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, out["version"], same["version"])
	code, _, _ = s.resolveRaw(t, svc, "host=resolve-me.localhost", etag)
	assert.Equal(t, http.StatusNotModified, code, "nothing changed since the ETag")

	// A change of the limits in force (an operator's, or a plan applied) is a change of what the tenant resolves to.
	_, err = s.db.Pool.Exec(t.Context(), `UPDATE tenants SET max_companies = max_companies + 1 WHERE id = $1`, id)
	require.NoError(t, err)
	code, newer, changed := s.resolveRaw(t, svc, "subdomain=resolve-me", etag)
	require.Equal(t, http.StatusOK, code, "the change makes the old ETag stale")
	assert.NotEqual(t, etag, newer)
	assert.Greater(t, changed["version"], out["version"])
	assert.Equal(t, plan["limits"].(map[string]any)["max_companies"].(float64)+1, changed["plan"].(map[string]any)["limits"].(map[string]any)["max_companies"])

	for _, host := range []string{"www.localhost", "nobody.localhost", "resolve-me.evil.example", "a.resolve-me.localhost", "localhost"} {
		code, _, _ := s.resolveRaw(t, svc, "host="+host, "")
		assert.Equal(t, http.StatusNotFound, code, host)
	}
	for _, q := range []string{"", "host=resolve-me.localhost&subdomain=resolve-me"} {
		code, _, _ := s.resolveRaw(t, svc, q, "")
		assert.Equal(t, http.StatusUnprocessableEntity, code, q)
	}

	// Only a service token resolves; it does nothing else, not even sign in to the portal.
	for _, tok := range []string{s.operator, admin} {
		code, _ := s.call(http.MethodGet, "/v1/resolve?subdomain=resolve-me", tok, nil)
		assert.Equal(t, http.StatusForbidden, code)
	}
	code, _ = s.call(http.MethodGet, "/v1/tenants/"+id.String(), svc, nil)
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = s.call(http.MethodPost, "/v1/session", "", map[string]any{"token": svc})
	assert.Equal(t, http.StatusForbidden, code)
}

// TestTheChangeFeedTellsASuspensionAtOnceAndResumesFromTheLastEvent: a
// service following the feed learns of a suspension within two seconds of
// the status changing (in practice as it commits), with the version that a
// resolution then carries; the suspended tenant resolves with serving false
// and no database; a feed opened again from an earlier event gets it again;
// heartbeats come every second.
func TestTheChangeFeedTellsASuspensionAtOnceAndResumesFromTheLastEvent(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	id, _ := s.createTenant("feed-me", "starter")
	svc := s.serviceToken()
	_, before, _ := s.resolveRaw(t, svc, "subdomain=feed-me", "")
	events := s.openFeed(t, svc, "")

	// Heartbeats, each with the newest version sent.
	first := time.Now()
	beats := 0
	for beats < 2 {
		select {
		case e := <-events:
			if e.Event == "heartbeat" {
				beats++
				assert.Contains(t, e.Data, "version")
			}
		case <-time.After(3 * time.Second):
			t.Fatal("no heartbeat within 3 s")
		}
	}
	assert.Less(t, time.Since(first), 3*time.Second, "two heartbeats within about two seconds")

	changed := s.statusSeen(id, "suspended")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, code, out)
	var got sseEvent
	require.Eventually(t, func() bool {
		for {
			select {
			case e := <-events:
				if e.Event == "tenant" && e.Data["tenant_id"] == id.String() && e.Data["status"] == "suspended" {
					got = e
					return true
				}
			default:
				return false
			}
		}
	}, 30*time.Second, 10*time.Millisecond, "the feed never told the suspension")
	assert.Equal(t, false, got.Data["serving"])
	assert.Equal(t, got.ID, fmt.Sprint(got.Data["version"]))
	var changedAt time.Time
	select {
	case changedAt = <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("the tenant was never seen suspended")
	}
	t.Logf("suspension told %v after the status changed (negative: before the poller saw it)", got.At.Sub(changedAt))
	assert.Less(t, got.At.Sub(changedAt), 2*time.Second)

	code, etag, out := s.resolveRaw(t, svc, "subdomain=feed-me", before)
	require.Equal(t, http.StatusOK, code, "the old ETag no longer matches")
	assert.Equal(t, `"`+got.ID+`"`, etag)
	assert.Equal(t, "suspended", out["status"])
	assert.Equal(t, false, out["serving"])
	assert.NotContains(t, out, "database", "no database login for a tenant that may not be served")

	// A feed opened again from before the change gets it again.
	v, err := strconv.ParseInt(got.ID, 10, 64)
	require.NoError(t, err)
	again := s.openFeed(t, svc, strconv.FormatInt(v-1, 10))
	select {
	case e := <-again:
		assert.Equal(t, "tenant", e.Event)
		assert.Equal(t, got.ID, e.ID)
		assert.Equal(t, "suspended", e.Data["status"])
	case <-time.After(3 * time.Second):
		t.Fatal("a resumed feed did not send the change it missed")
	}
}
