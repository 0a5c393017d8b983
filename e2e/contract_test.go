package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/landlordhq/landlord/server"
)

// contract is a validator of the API's own OpenAPI document.
var contract = sync.OnceValues(func() (validator.Validator, error) {
	raw, err := json.Marshal(server.Document())
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, err
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		return nil, fmt.Errorf("the OpenAPI document does not load: %v", errs)
	}
	return v, nil
})

var contractMu sync.Mutex // the validator's caches are not documented as safe for concurrent use

// apiHosts are the host:port of every API the tests started: each answer
// from one of them, to any request the tests make through http.DefaultClient,
// is checked against the document.
var apiHosts sync.Map

func init() { http.DefaultClient.Transport = contractTransport{base: http.DefaultTransport} }

// serveAPI starts an API with o on a port of its own, for the test.
func serveAPI(t testing.TB, o server.Options) *httptest.Server {
	hs := httptest.NewServer(server.New(o))
	t.Cleanup(hs.Close)
	apiHosts.Store(hs.Listener.Addr().String(), true)
	return hs
}

type contractTransport struct{ base http.RoundTripper }

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if _, ours := apiHosts.Load(req.URL.Host); !ours || req.Method == http.MethodOptions { // CORS preflights are Echo's
		return res, nil
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// A stream does not end: its status and type are checked, its events by the test that reads them.
		stream := res.Body
		if err := checkContract(req, res, nil); err != nil {
			stream.Close()
			return nil, err
		}
		res.Body = stream
		return res, nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if err := checkContract(req, res, body); err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// checkContract validates a response the tests received against the
// document: its status must be one the operation lists and its body must
// match that status's schema. A path the document does not have may only
// have been answered 404 or 405, or with something other than JSON (the portal).
func checkContract(req *http.Request, res *http.Response, body []byte) error {
	v, err := contract()
	if err != nil {
		return err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	contractMu.Lock()
	ok, errs := v.ValidateHttpResponse(req, res)
	contractMu.Unlock()
	if ok {
		return nil
	}
	var msgs []string
	unknownPath := false
	for _, e := range errs {
		if e.ValidationType == "path" {
			unknownPath = true
		}
		msgs = append(msgs, e.Message+": "+e.Reason)
	}
	if unknownPath && (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json")) {
		return nil // not the API: a route that is not there, or the portal's pages and assets
	}
	return fmt.Errorf("%s %s answered %d against the OpenAPI document: %s\n%s", req.Method, req.URL.Path, res.StatusCode,
		strings.Join(msgs, "; "), body)
}

// TestTheContractCheckCatchesDrift shows the check failing where it should:
// a body missing required fields, a field of the wrong type or one the
// document does not know, a status the operation does not list, and a 200
// from a path the document does not have.
func TestTheContractCheckCatchesDrift(t *testing.T) {
	check := func(method, path string, status int, body string) error {
		req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
		res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Request: req}
		return checkContract(req, res, []byte(body))
	}
	good := `{"status":"ok"}`
	if err := check(http.MethodGet, "/healthz", http.StatusOK, good); err != nil {
		t.Fatalf("a conforming answer was refused: %v", err)
	}
	for what, err := range map[string]error{
		"a missing field":      check(http.MethodGet, "/v1/plans", http.StatusOK, `{}`),
		"a wrong type":         check(http.MethodGet, "/healthz", http.StatusOK, `{"status":1}`),
		"an unknown field":     check(http.MethodGet, "/healthz", http.StatusOK, `{"status":"ok","extra":true}`),
		"an unlisted status":   check(http.MethodGet, "/healthz", http.StatusTeapot, good),
		"an unknown path's OK": check(http.MethodGet, "/v1/nowhere", http.StatusOK, good),
	} {
		if err == nil {
			t.Errorf("%s passed the contract check", what)
		}
	}
	if err := check(http.MethodGet, "/v1/nowhere", http.StatusNotFound, `{"error":{"code":"not_found","message":"route not found"}}`); err != nil {
		t.Errorf("an unknown path's 404 was refused: %v", err)
	}
}
