package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/lifecycle"
	"github.com/landlordhq/landlord/signin"
)

// feedHeartbeat is how often the change feed says it is alive (and how new
// the newest change it sent is), and how often it looks for changes when no
// notification came.
const feedHeartbeat = time.Second

// feedPage is how many changes the feed reads at a time.
const feedPage = 500

// tenantChange is an event of the change feed: a tenant whose resolution
// changed. It carries no secret; a client resolves the tenant again for the
// rest, or stops serving it at once when it is no longer serving.
type tenantChange struct {
	TenantID  string           `json:"tenant_id"`
	Subdomain string           `json:"subdomain"`
	Status    lifecycle.Status `json:"status"`
	Serving   bool             `json:"serving"`
	Version   int64            `json:"version"`
}

// sessionRevoked is an event of the change feed: a user session that ended
// (signed out, reused, its user removed or its password changed, its tenant
// suspended). An access token of it is refused until it would have expired.
type sessionRevoked struct {
	SessionID string    `json:"session_id"`
	TenantID  string    `json:"tenant_id"`
	Until     time.Time `json:"until"` // when every access token of the session has expired
	Version   int64     `json:"version"`
}

// resolveChanges is GET /v1/resolve/changes, for service tokens: the
// tenants whose resolution changed, as server-sent events (`tenant`, its id
// the tenant's new version), and the user sessions revoked (`revoked`, its
// id the revocation's version, from the same sequence), oldest first, from
// the version in Last-Event-ID (or ?after=) on, or from now without one (then
// first the sessions revoked while their access tokens may still be valid);
// and a `heartbeat` event every second with the newest version sent. A tenant changed twice while a client
// was away is sent once, as it is now. Changes are looked for when
// PostgreSQL notifies one (LISTEN on a connection of its own) and every
// second anyway, so a lost notification delays a change by a second at most.
func (s *Server) resolveChanges(c echo.Context) error {
	ctx := c.Request().Context()
	after, err := feedStart(c)
	if err != nil {
		return err
	}
	var recent []db.UserSessionRevokedAfterRow
	if after < 0 {
		if after, err = s.q.TenantResolveVersion(ctx); err != nil {
			return err
		}
		since, err := s.q.UserSessionRevokedSince(ctx, db.UserSessionRevokedSinceParams{Since: time.Now().Add(-revocationHeld), MaxRows: 10 * feedPage})
		if err != nil {
			return err
		}
		for _, r := range since {
			recent = append(recent, db.UserSessionRevokedAfterRow(r))
		}
	}
	wake, done := s.feed.subscribe()
	defer done()
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // a proxy in front must not hold events back
	w.WriteHeader(http.StatusOK)
	for _, r := range recent {
		if err := writeRevoked(w, r); err != nil {
			return nil
		}
	}
	w.Flush()
	tick := time.NewTicker(feedHeartbeat)
	defer tick.Stop()
	for {
		rows, err := s.q.TenantResolveChanges(ctx, db.TenantResolveChangesParams{After: after, MaxRows: feedPage})
		var revoked []db.UserSessionRevokedAfterRow
		if err == nil {
			revoked, err = s.q.UserSessionRevokedAfter(ctx, db.UserSessionRevokedAfterParams{After: after, MaxRows: feedPage})
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("change feed ended", "error", err)
			}
			return nil
		}
		// Both lists are in version order; a full page is followed no further
		// than its last version, so nothing between is skipped.
		limit := int64(math.MaxInt64)
		if len(rows) == feedPage {
			limit = rows[len(rows)-1].ResolveVersion
		}
		if len(revoked) == feedPage {
			limit = min(limit, *revoked[len(revoked)-1].RevokeVersion)
		}
		for len(rows) > 0 || len(revoked) > 0 {
			if len(revoked) == 0 || (len(rows) > 0 && rows[0].ResolveVersion < *revoked[0].RevokeVersion) {
				r := rows[0]
				rows = rows[1:]
				if r.ResolveVersion > limit {
					break
				}
				data, _ := json.Marshal(tenantChange{TenantID: r.ID.String(), Subdomain: r.Subdomain, Status: r.Status,
					Serving: r.Status.IsLive(), Version: r.ResolveVersion})
				if _, err := fmt.Fprintf(w, "id: %d\nevent: tenant\ndata: %s\n\n", r.ResolveVersion, data); err != nil {
					return nil
				}
				after = r.ResolveVersion
				continue
			}
			r := revoked[0]
			revoked = revoked[1:]
			if *r.RevokeVersion > limit {
				break
			}
			if err := writeRevoked(w, r); err != nil {
				return nil
			}
			after = *r.RevokeVersion
		}
		w.Flush()
		if limit != math.MaxInt64 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.feed.closing():
			return nil
		case <-wake:
		case <-tick.C:
			if _, err := fmt.Fprintf(w, "event: heartbeat\ndata: {\"version\":%d}\n\n", after); err != nil {
				return nil
			}
			w.Flush()
		}
	}
}

// revocationHeld is how long after a session's revocation an access token
// of it may still be valid: the token's lifetime and the verifiers' leeway.
const revocationHeld = signin.AccessTTL + 5*time.Second

func writeRevoked(w *echo.Response, r db.UserSessionRevokedAfterRow) error {
	data, _ := json.Marshal(sessionRevoked{SessionID: r.ID.String(), TenantID: r.TenantID.String(),
		Until: r.RevokedAt.Add(revocationHeld).UTC(), Version: *r.RevokeVersion})
	_, err := fmt.Fprintf(w, "id: %d\nevent: revoked\ndata: %s\n\n", *r.RevokeVersion, data)
	return err
}

// feedStart is the version a feed starts after: Last-Event-ID or ?after=,
// or -1 for "from now".
func feedStart(c echo.Context) (int64, error) {
	v := c.Request().Header.Get("Last-Event-ID")
	if v == "" {
		v = c.QueryParam("after")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidFields(map[string]string{"Last-Event-ID": "must be a version the feed sent"})
	}
	return n, nil
}

// changeHub wakes the change feeds of this process when PostgreSQL notifies
// a change. It listens on a connection of its own (LISTEN needs a session:
// never one from a transaction-mode pooler) only while a feed is open, and
// makes it again, a second later, when it breaks.
type changeHub struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	log     *slog.Logger

	mu     sync.Mutex
	subs   map[chan struct{}]struct{}
	stop   context.CancelFunc
	closed chan struct{} // closed when the server shuts down: feeds end
	once   sync.Once
}

func newChangeHub(connect func(ctx context.Context) (*pgx.Conn, error), log *slog.Logger) *changeHub {
	return &changeHub{connect: connect, log: log, subs: map[chan struct{}]struct{}{}, closed: make(chan struct{})}
}

// subscribe returns a channel that receives (at most one pending) wake-up per
// notified change, and the function that ends the subscription.
func (h *changeHub) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[ch] = struct{}{}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		go h.listen(ctx)
	}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, ch)
		if len(h.subs) == 0 && h.stop != nil {
			h.stop()
			h.stop = nil
		}
	}
}

// closing is closed when the server shuts down.
func (h *changeHub) closing() <-chan struct{} { return h.closed }

// close ends every feed (the server is shutting down).
func (h *changeHub) close() { h.once.Do(func() { close(h.closed) }) }

func (h *changeHub) listen(ctx context.Context) {
	for ctx.Err() == nil {
		if err := h.listenOnce(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("change notifications interrupted; feeds look every second meanwhile", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (h *changeHub) listenOnce(ctx context.Context) error {
	conn, err := h.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN tenant_resolution"); err != nil {
		return err
	}
	h.wake() // a change between the feeds' last look and LISTEN is not missed
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		h.wake()
	}
}

func (h *changeHub) wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default: // one pending wake-up is enough: the feed reads every change since its last
		}
	}
}
