package server

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestTheOpenAPIDocumentCoversEveryRoute compares the router with the
// document: a route without an operation, or an operation without a route,
// fails it.
func TestTheOpenAPIDocumentCoversEveryRoute(t *testing.T) {
	e := New(Options{})
	param := regexp.MustCompile(`:([a-z_]+)`)
	routes := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == "echo_route_not_found" || r.Method == http.MethodOptions || r.Path == "/*" {
			continue // the groups' catch-alls; CORS preflights; the portal's pages
		}
		routes[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, ops := range Document()["paths"].(map[string]map[string]any) {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes without an operation in the OpenAPI document: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("operations without a route: %v", extra)
	}
}
