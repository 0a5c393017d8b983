package tenantdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// BackupFile is a verified pg_dump of a tenant database.
type BackupFile struct {
	Path      string
	SizeBytes int64
	SHA256    string
}

// Backup dumps a tenant database (pg_dump, custom format) into dir/<name>/,
// writing to a temporary file and renaming it once complete, then restores it
// into a scratch database and compares row counts with the source before
// calling it good. The tenant's role stays without CONNECT throughout.
func (s *Servers) Backup(ctx context.Context, srv Server, name, dir string) (BackupFile, error) {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return BackupFile{}, err
	}
	// A cancelled tenant's database refuses connections; the administrator needs one to dump it.
	if _, err := pool.Exec(ctx, "ALTER DATABASE "+ident(name)+" ALLOW_CONNECTIONS true"); err != nil {
		return BackupFile{}, fmt.Errorf("open %s for the backup: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
		return BackupFile{}, fmt.Errorf("create backup folder: %w", err)
	}
	path := filepath.Join(dir, name, time.Now().UTC().Format("20060102T150405Z")+".dump")
	tmp := path + ".partial"
	if err := s.run(ctx, srv, "pg_dump", "--format=custom", "--file="+tmp, "--dbname="+name); err != nil {
		_ = os.Remove(tmp)
		return BackupFile{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return BackupFile{}, fmt.Errorf("keep backup: %w", err)
	}
	f := BackupFile{Path: path}
	if f.SizeBytes, f.SHA256, err = digest(path); err != nil {
		return BackupFile{}, err
	}
	if err := s.verify(ctx, srv, name, path); err != nil {
		return BackupFile{}, fmt.Errorf("verify backup %s: %w", path, err)
	}
	return f, nil
}

// verify restores the dump into a scratch database and compares its row counts with the source's.
func (s *Servers) verify(ctx context.Context, srv Server, name, path string) error {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	scratch := "landlord_verify_" + hex.EncodeToString(b)
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+ident(scratch)+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create scratch database: %w", err)
	}
	defer pool.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+ident(scratch)+" WITH (FORCE)")
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
	conn, err := pgx.ConnectConfig(ctx, s.ConnConfig(srv, database))
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

func digest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}
