package server

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// docsPage answers GET /docs: the operations of the OpenAPI document as a
// page to read, served by landlord itself (no script, nothing fetched
// elsewhere); the schemas are in /openapi.json.
func docsPage(c echo.Context) error { return c.HTMLBlob(http.StatusOK, docsHTML) }

var docsHTML = func() []byte {
	type row struct {
		Method, Path, Summary, Description, Access, Statuses string
	}
	byTag := map[string][]row{}
	var tags []string
	for _, op := range operations() {
		if _, seen := byTag[op.tag]; !seen {
			tags = append(tags, op.tag)
		}
		byTag[op.tag] = append(byTag[op.tag], row{op.method, op.path, op.summary, op.description, op.access.String(),
			strings.Join(sortedStatuses(op.responses), " ")})
	}
	var b bytes.Buffer
	if err := docsTemplate.Execute(&b, map[string]any{"Tags": tags, "Ops": byTag}); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>landlord API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{font:13px ui-monospace,monospace}.op{border-top:1px solid #ddd;padding:.6rem 0}.m{display:inline-block;width:4.5rem;font-weight:600}
.who,.st{color:#666;font-size:13px}</style></head><body>
<h1>landlord API</h1>
<p>Every route, who may call it and what it answers. Request and response schemas, error bodies and the security scheme
are in <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Send tokens as <code>Authorization: Bearer …</code>;
errors are <code>{"error":{"code","message","details"}}</code>.</p>
{{range $tag := .Tags}}<h2>{{$tag}}</h2>
{{range index $.Ops $tag}}<div class="op"><span class="m">{{.Method}}</span><code>{{.Path}}</code> — {{.Summary}}
<div class="who">{{.Access}} · answers {{.Statuses}}</div>{{if .Description}}<div>{{.Description}}</div>{{end}}</div>
{{end}}{{end}}</body></html>
`))
