// Package scripts holds the tests of the shell scripts behind make run and make bench.
package scripts

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// privateCluster runs services.sh's find_postgres as make run does on a
// machine without PostgreSQL on 5432, in data, then probes the cluster it
// started (stopped again when the script exits) and returns what it printed.
func privateCluster(t *testing.T, data string) string {
	t.Helper()
	out, err := probeCluster(data, freePort(t), "")
	if err != nil {
		t.Fatalf("find_postgres: %v\n%s", err, out)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// probeCluster is privateCluster on port, running then after the probe.
func probeCluster(data string, port int, then string) (string, error) {
	probe := `set -euo pipefail
source ./services.sh
port_open() { [ "$2" = 5432 ] && return 1; (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
find_postgres
try() { psql "$1" -Atc 'SELECT current_user' </dev/null 2>/dev/null || echo "refused"; }
url() { echo "postgres://$1@127.0.0.1:$PRIVATE_PG_PORT/postgres?sslmode=disable"; }
echo "owner: $(try "$(url postgres:$(cat "$DATA/pg-owner-password"))")"
[[ $DATABASE_URL == *"landlord_app:$(cat "$DATA/pg-app-password")@"* ]] && echo "runtime url: has its password"
echo "no password: $(try "$(url postgres)")"
echo "wrong password: $(try "$(url postgres:guess)")"
echo "modes: $(stat -c %a "$DATA/pg-owner-password" "$DATA/pg-app-password" "$DATA/pg-socket" | tr '\n' ' ')"
` + then
	cmd := exec.Command("bash", "-c", probe)
	cmd.Env = append(os.Environ(), "LANDLORD_DATA="+data, fmt.Sprintf("PRIVATE_PG_PORT=%d", port), "PGCONNECT_TIMEOUT=5", "PGPASSWORD=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func pgBin(t *testing.T) string {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Skip("PostgreSQL's server binaries are not installed: make run would not make a private cluster either")
	}
	return filepath.Dir(bins[len(bins)-1])
}

// dataDir is a folder the cluster's owner may enter (postgres, when we are root).
func dataDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "landlord-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A cluster a failed run left behind is stopped before its folder goes.
		stop := []string{filepath.Join(pgBin(t), "pg_ctl"), "-D", filepath.Join(d, "pg"), "-m", "immediate", "stop"}
		if os.Geteuid() == 0 {
			stop = append([]string{"runuser", "-u", "postgres", "--"}, stop...)
		}
		_ = exec.Command(stop[0], stop[1:]...).Run()
		os.RemoveAll(d)
	})
	if os.Geteuid() == 0 {
		os.Chmod(d, 0o755)
		exec.Command("chown", "postgres", d).Run()
	}
	return d
}

func TestThePrivateClusterTakesPasswordsOnly(t *testing.T) {
	pgBin(t)
	data := dataDir(t)
	for _, run := range []string{"first start", "restart"} {
		out := privateCluster(t, data)
		for _, want := range []string{"owner: postgres", "runtime url: has its password", "no password: refused", "wrong password: refused", "modes: 600 600 700"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: want %q in:\n%s", run, want, out)
			}
		}
	}
}

// A cluster made when make run trusted every connection is switched to passwords.
func TestAClusterThatTrustedEveryoneIsSwitchedToPasswords(t *testing.T) {
	bin := pgBin(t)
	data := dataDir(t)
	initdb := []string{filepath.Join(bin, "initdb"), "-D", filepath.Join(data, "pg"), "-U", "postgres", "--auth=trust"}
	if os.Geteuid() == 0 {
		initdb = append([]string{"runuser", "-u", "postgres", "--"}, initdb...)
	}
	if out, err := exec.Command(initdb[0], initdb[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	out := privateCluster(t, data)
	for _, want := range []string{"owner: postgres", "no password: refused", "wrong password: refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
}

// A run killed outright (no trap, the cluster left running) does not stop
// the next one from starting: the cluster is taken over, then stopped.
func TestAClusterLeftRunningByAKilledRunIsTakenOver(t *testing.T) {
	pgBin(t)
	data := dataDir(t)
	port := freePort(t)
	if out, err := probeCluster(data, port, "kill -9 $$"); err == nil {
		t.Fatalf("the first run was to be killed:\n%s", out)
	}
	again, err := probeCluster(data, port, "")
	if err != nil || !strings.Contains(again, "owner: postgres") {
		t.Fatalf("the next run could not use the cluster: %v\n%s", err, again)
	}
}
