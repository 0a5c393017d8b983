package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestsAreAnsweredForWhatIsWrongWithThem: an unknown route is 404
// whatever the token; a known path with another method is 405 naming the
// methods it takes; a token's scheme is case-insensitive; and a 401 says
// what is wrong with the credentials.
func TestRequestsAreAnsweredForWhatIsWrongWithThem(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{})
	do := func(method, path, auth string) (*http.Response, map[string]any) {
		req, err := http.NewRequest(method, s.url+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res, out
	}
	for _, auth := range []string{"", "Bearer " + s.operator, "Bearer llo_wrong"} {
		res, _ := do(http.MethodGet, "/v1/no-such-thing", auth)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "unknown route with %q", auth)
	}
	res, _ := do(http.MethodDelete, "/v1/plans", "")
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Contains(t, res.Header.Get("Allow"), http.MethodGet)
	res, _ = do(http.MethodPut, "/v1/me", "")
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, "an authenticated path too, before any token is asked for")
	assert.Equal(t, http.MethodGet, res.Header.Get("Allow"))

	res, _ = do(http.MethodGet, "/v1/me", "bearer "+s.operator)
	assert.Equal(t, http.StatusOK, res.StatusCode, "the scheme is case-insensitive")
	for auth, says := range map[string]string{
		"":                           "a bearer token is required",
		"Basic dXNlcjpwYXNz":         "the Authorization scheme must be Bearer",
		"Bearer ":                    "the bearer token is empty",
		"Bearer llo_" + "0123456789": "the token is not valid",
	} {
		res, out := do(http.MethodGet, "/v1/me", auth)
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, auth)
		assert.Equal(t, says, out["error"].(map[string]any)["message"], auth)
	}
}
