package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// portalCSP lets the portal run its own scripts and nothing else: no inline
// script, nothing fetched from elsewhere, no framing. Ant Design writes its
// styles at run time, hence inline styles.
const portalCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// apiPrefixes are paths the portal never answers, even for a route that does not exist.
var apiPrefixes = []string{"/v1/", "/codec/", "/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"}

// portal serves the built portal: its files as they are, and index.html for
// any other path (the application routes in the browser), never for the API's.
func portal(files fs.FS) echo.HandlerFunc {
	server := http.FileServerFS(files)
	return func(c echo.Context) error {
		p := c.Request().URL.Path
		for _, prefix := range apiPrefixes {
			if p == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(p, prefix) {
				return echo.ErrNotFound
			}
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", portalCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		name := strings.TrimPrefix(path.Clean(p), "/")
		if info, err := fs.Stat(files, name); err == nil && !info.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				h.Set("Cache-Control", "public, max-age=31536000, immutable") // content-hashed names
			}
			server.ServeHTTP(c.Response(), c.Request())
			return nil
		}
		h.Set("Cache-Control", "no-cache")
		index, err := fs.ReadFile(files, "index.html")
		if err != nil {
			return echo.ErrNotFound
		}
		return c.HTMLBlob(http.StatusOK, index)
	}
}
