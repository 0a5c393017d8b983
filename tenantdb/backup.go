package tenantdb

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Dump writes a pg_dump (custom format) of a tenant database to a new file in
// dir and verifies it: restored into a scratch database, its row counts must
// equal the source's. It returns the file's path. The tenant's role stays
// without CONNECT throughout. stage names each part as it begins, for progress.
func (s *Servers) Dump(ctx context.Context, srv Server, name, dir string, stage func(string)) (string, error) {
	// A cancelled tenant's database refuses connections; the administrator needs one to dump it.
	if err := s.OpenToLandlord(ctx, srv, name); err != nil {
		return "", err
	}
	stage("dumping")
	path := filepath.Join(dir, name+".dump")
	if err := s.run(ctx, srv, "pg_dump", "--format=custom", "--file="+path, "--dbname="+name); err != nil {
		return "", err
	}
	stage("verifying")
	if err := s.verify(ctx, srv, name, path); err != nil {
		return "", fmt.Errorf("verify backup of %s: %w", name, err)
	}
	return path, nil
}

// ScratchName is the database a dump of the tenant database name is restored
// into to be verified: one per tenant, so a verification a killed worker left
// behind is dropped by the next attempt.
func ScratchName(name string) string { return "landlord_verify_" + strings.TrimPrefix(name, "tenant_") }

// DropScratch drops the verification database of the tenant database name, if any.
func (s *Servers) DropScratch(ctx context.Context, srv Server, name string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(ScratchName(name))+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop scratch database of %s: %w", name, err)
	}
	return nil
}

// verify restores the dump into the scratch database and compares its row counts with the source's.
func (s *Servers) verify(ctx context.Context, srv Server, name, path string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	if err := s.DropScratch(ctx, srv, name); err != nil {
		return err
	}
	scratch := ScratchName(name)
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+ident(scratch)+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create scratch database: %w", err)
	}
	defer s.DropScratch(context.WithoutCancel(ctx), srv, name)
	if err := s.run(ctx, srv, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+scratch, path); err != nil {
		return err
	}
	want, err := s.rowCounts(ctx, srv, name)
	if err != nil {
		return err
	}
	got, err := s.rowCounts(ctx, srv, scratch)
	if err != nil {
		return err
	}
	if want != got {
		return fmt.Errorf("restored rows %v differ from the source's %v", got, want)
	}
	return nil
}

func (s *Servers) rowCounts(ctx context.Context, srv Server, database string) ([3]int64, error) {
	var n [3]int64
	conn, err := s.Connect(ctx, srv, database)
	if err != nil {
		return n, fmt.Errorf("connect to %s: %w", database, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM users), (SELECT count(*) FROM transactions)`).Scan(&n[0], &n[1], &n[2])
	return n, err
}

// run runs a PostgreSQL client tool against srv as the administrator; the
// password goes through the environment, never the command line.
func (s *Servers) run(ctx context.Context, srv Server, tool string, args ...string) error {
	cmd := exec.CommandContext(ctx, tool, append([]string{"--host=" + srv.Host, "--port=" + strconv.Itoa(srv.Port), "--username=" + s.admin.User, "--no-password"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+s.admin.Password, "PGSSLMODE=prefer")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
