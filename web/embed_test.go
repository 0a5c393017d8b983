package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"regexp"
	"testing"
)

// TestTheFirstPageIsLight: what the first page loads before anything else
// (its script and the modules it preloads) stays under 300 KB gzipped; the
// pages after signing in load when first shown.
func TestTheFirstPageIsLight(t *testing.T) {
	files, built := Dist()
	if !built {
		t.Fatal("the portal is not built: run make web (make test does)")
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for _, m := range regexp.MustCompile(`(?:src|href)="/(assets/[^"]+\.js)"`).FindAllSubmatch(index, -1) {
		js, err := fs.ReadFile(files, string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = w.Write(js)
		_ = w.Close()
		total += b.Len()
	}
	t.Logf("the first page loads %d KB of JavaScript, gzipped", total/1024)
	if total == 0 || total > 300*1024 {
		t.Fatalf("the first page loads %d KB gzipped: the goal is under 300 KB", total/1024)
	}
}
