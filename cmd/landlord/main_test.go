package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpAndVersionNeedNoConfiguration runs the built binary as a new user
// would: help in every spelling prints the commands and exits 0, version
// prints the version and commit it was built with, and an unknown command
// says so (exit 2) without warning about configuration first.
func TestHelpAndVersionNeedNoConfiguration(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "landlord")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9 -X main.commit=abc123", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	runBin := func(args ...string) (stdout, stderr string, code int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")} // nothing configured
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	for _, arg := range []string{"help", "-h", "--help"} {
		out, errOut, code := runBin(arg)
		if code != 0 || !strings.Contains(out, "bench transactions") || !strings.Contains(out, "version") || errOut != "" {
			t.Errorf("landlord %s: exit %d, stdout %q, stderr %q", arg, code, out, errOut)
		}
	}
	out, _, code := runBin("version")
	if code != 0 || strings.TrimSpace(out) != "landlord v9.9.9, commit abc123" {
		t.Errorf("landlord version: exit %d, %q", code, out)
	}
	_, errOut, code := runBin("nope")
	if code != 2 || !strings.HasPrefix(errOut, "unknown command nope") {
		t.Errorf("landlord nope: exit %d, stderr %q", code, errOut)
	}
}
