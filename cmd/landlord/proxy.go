package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// runProxy is "proxy -listen ADDR -to URL,URL…": one address in front of
// several API processes, each request to the next of them in turn; a replica
// that cannot be reached is skipped for that request. It is how make
// run-cluster puts two APIs behind one address; in production a load
// balancer does this.
func runProxy(ctx context.Context, log *slog.Logger, args []string) error {
	fs := newFlags("proxy")
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	to := fs.String("to", "", "the API processes' base URLs, comma-separated")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	var backends []*url.URL
	for _, raw := range strings.Split(*to, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return usageError(fmt.Sprintf("-to: %q is not a base URL such as http://127.0.0.1:8081", raw))
		}
		backends = append(backends, u)
	}
	srv := &http.Server{Addr: *listen, Handler: newRoundRobin(backends, log), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("proxy listening", "addr", *listen, "to", *to)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// roundRobin sends each request to the next backend; when one cannot be
// reached (nothing was sent), the request goes to the one after it.
type roundRobin struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64
}

// unreachableKey marks a request that may go to the next backend when this one cannot be reached.
type unreachableKey struct{}

func newRoundRobin(backends []*url.URL, log *slog.Logger) *roundRobin {
	rr := &roundRobin{}
	for _, b := range backends {
		p := httputil.NewSingleHostReverseProxy(b)
		p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			if unreachable, ok := r.Context().Value(unreachableKey{}).(*bool); ok {
				*unreachable = true
				return
			}
			log.Warn("proxy", "backend", b.Host, "error", err)
			w.WriteHeader(http.StatusBadGateway)
		}
		rr.proxies = append(rr.proxies, p)
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := int(rr.next.Add(1))
	for i := range rr.proxies {
		last := i == len(rr.proxies)-1
		req := r
		var unreachable bool
		if !last && r.ContentLength == 0 { // a request without a body can be sent again; one with a body is sent once
			req = r.WithContext(context.WithValue(r.Context(), unreachableKey{}, &unreachable))
		}
		rr.proxies[(start+i)%len(rr.proxies)].ServeHTTP(w, req)
		if !unreachable {
			return
		}
	}
}
