package e2e

import (
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/web"
)

// portalFiles is the built portal; make test builds it first (make web).
func portalFiles(t *testing.T) (files fs.FS) {
	files, built := web.Dist()
	require.True(t, built, "the portal is not built: run make web (make test does)")
	return files
}

// TestTheOperatorSignsInFindsATenantAndSignsOut drives the portal in Debian's
// chromium (web/e2e/operator.mjs) against the real stack, and checks what
// the portal is served with: its pages under a strict Content-Security-Policy,
// and never in place of the API.
func TestTheOperatorSignsInFindsATenantAndSignsOut(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{portal: portalFiles(t)})
	s.createTenant("portal-find-me", "starter")
	s.createTenant("portal-other", "starter")

	res, err := http.Get(s.url + "/tenants/anything")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the application's routes serve the page")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	res, err = http.Get(s.url + "/v1/nothing-here")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the portal never answers for the API")

	shots := filepath.Join(os.TempDir(), "landlord-portal-screenshots")
	require.NoError(t, os.MkdirAll(shots, 0o755))
	cmd := exec.Command("node", "e2e/operator.mjs", s.url, s.operator, "portal-find-me", "Acme portal-find-me", shots)
	cmd.Dir = filepath.Join("..", "web")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the browser scenario:\n%s\n(screenshots in %s)", out, shots)
	assert.Equal(t, "ok", strings.TrimSpace(string(out)))
}
