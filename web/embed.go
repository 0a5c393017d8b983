// Package web is landlord's portal: a React application under src/, built by
// npm (make web) into dist/ and embedded in the landlord binary, which serves
// it at /.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built portal, and whether there is one (a checkout that has
// not run make web holds only dist/.gitkeep).
func Dist() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	_, err = fs.Stat(sub, "index.html")
	return sub, err == nil
}
