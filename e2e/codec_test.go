package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/converter"
)

// TestTheCodecEndpointDecodesRecordedHistoriesForOperatorsOnly reads a real
// recorded onboarding history (sealed with the test key) through POST
// /codec/decode, as the Temporal CLI and Web UI do: an operator sees the
// signup's input; no token, a tenant's token, or a wrong key get nothing;
// the Web UI's keyed path decodes but may not encode; every decode is audited
// and the Web UI's origin is admitted by CORS.
func TestTheCodecEndpointDecodesRecordedHistoriesForOperatorsOnly(t *testing.T) {
	t.Parallel()
	const key = "0123456789abcdef0123456789abcdef-codec"
	s := newStack(t, stackOptions{codecKey: key})
	_, tenantToken := s.createTenant("codec-tenant", "starter")

	raw, err := os.ReadFile(filepath.Join("..", "workflows", "testdata", "onboarding_trial.json"))
	require.NoError(t, err)
	var sealed historypb.History
	require.NoError(t, temporalproto.CustomJSONUnmarshalOptions{}.Unmarshal(raw, &sealed))
	input := sealed.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	require.NotEmpty(t, input)
	require.NotContains(t, string(input[0].GetData()), "admin", "the recorded input is sealed")

	remote := func(endpoint, auth string) converter.PayloadCodec {
		return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{Endpoint: s.url + endpoint, Client: *http.DefaultClient,
			ModifyRequest: func(r *http.Request) error {
				r.Header.Set("X-Namespace", "default")
				if auth != "" {
					r.Header.Set("Authorization", auth)
				}
				return nil
			}})
	}
	// The whole history decodes through the endpoint, as the CLI reads it.
	requests := 0
	require.NoError(t, proxy.VisitPayloads(context.Background(), &sealed, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			requests++
			return remote("/codec", "Bearer "+s.operator).Decode(p)
		}}))
	assert.Greater(t, requests, 5, "every payload of the history")
	first := sealed.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
	assert.Equal(t, "json/plain", string(first.GetMetadata()["encoding"]))
	assert.Contains(t, string(first.GetData()), `"AdminEmail"`, "the operator reads the onboarding's input")

	for what, c := range map[string]converter.PayloadCodec{
		"no token":        remote("/codec", ""),
		"a tenant token":  remote("/codec", "Bearer "+tenantToken),
		"a wrong key":     remote("/codec/k/"+strings.Repeat("x", 38), ""),
		"the key, encode": remote("/codec/k/"+key, ""),
	} {
		var err error
		if what == "the key, encode" {
			_, err = c.Encode(input)
		} else {
			_, err = c.Decode(input)
		}
		assert.Error(t, err, what)
	}
	out, err := remote("/codec/k/"+key, "").Decode(input)
	require.NoError(t, err, "the Web UI's keyed path decodes")
	assert.Contains(t, string(out[0].GetData()), `"AdminEmail"`)
	assert.Equal(t, requests+1, s.count(`SELECT count(*) FROM audit_log WHERE action = 'PAYLOADS_DECODED'`),
		"each decode that went through is audited, and only those")
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM audit_log WHERE action = 'PAYLOADS_DECODED' AND actor = 'codec_key'`))

	// The Web UI's origin passes the preflight; another does not.
	for origin, allowed := range map[string]bool{"http://127.0.0.1:8233": true, "https://evil.example.com": false} {
		req, err := http.NewRequest(http.MethodOptions, s.url+"/codec/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, allowed, res.Header.Get("Access-Control-Allow-Origin") == origin, origin)
	}
}
