package tenantdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/migrations"
)

// TemplateDigest identifies the tenant schema: a hash over every tenant migration.
func TemplateDigest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.Tenant, "tenant", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Tenant, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash tenant migrations: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

const templateCommentPrefix = "landlord tenant template "

// EnsureTemplate prepares srv for tenant databases: PUBLIC (so every tenant
// role) loses CONNECT on the maintenance databases postgres and template1, and
// the template database is built from migrations/tenant, or rebuilt when this
// release's tenant schema is newer than the one it was built with (or the same
// version from other files). A template a newer release built is kept: during
// a rolling deploy the old workers do not build it back. The template is left
// with ALLOW_CONNECTIONS false so no session can linger in it and block
// CREATE DATABASE ... TEMPLATE. Concurrent callers are serialised by an
// advisory lock. It returns the template it found or built.
func (s *Servers) EnsureTemplate(ctx context.Context, srv Server, log *slog.Logger) (Template, error) {
	release, err := ReleaseTemplate()
	if err != nil {
		return Template{}, err
	}
	return s.ensureTemplate(ctx, srv, log, release.Version, release.Digest)
}

// ReleaseTemplate is the template this release builds.
var ReleaseTemplate = sync.OnceValues(func() (Template, error) {
	version, err := db.TenantSchemaVersion(migrations.Tenant)
	if err != nil {
		return Template{}, err
	}
	digest, err := TemplateDigest()
	return Template{Version: version, Digest: digest}, err
})

// MissingTemplate reports whether err is CREATE DATABASE's for a template that does not exist.
func MissingTemplate(err error) bool { return pgCode(err) == "3D000" }

// Template is what a server's template database was built from: the tenant
// schema version and the digest of the migrations (TemplateDigest).
type Template struct {
	Version int64
	Digest  string
}

func (s *Servers) ensureTemplate(ctx context.Context, srv Server, log *slog.Logger, version int64, digest string) (Template, error) {
	pool, err := s.Pool(ctx, srv)
	if err != nil {
		return Template{}, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Template{}, fmt.Errorf("connect to build the template: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('landlord.tenant_template'))`); err != nil {
		return Template{}, fmt.Errorf("lock template build: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('landlord.tenant_template'))`)
	// Tenant roles may connect to their own database only: not to the server's maintenance databases.
	if _, err := conn.Exec(ctx, `REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC`); err != nil {
		return Template{}, fmt.Errorf("close the maintenance databases to tenant roles: %w", err)
	}

	var comment *string
	err = conn.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, s.template).Scan(&comment)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Template{}, fmt.Errorf("look up template %s: %w", s.template, err)
	}
	if exists && comment != nil {
		builtVersion, builtDigest := parseTemplateComment(*comment)
		if builtVersion > version || (builtVersion == version && builtDigest == digest) {
			return Template{Version: builtVersion, Digest: builtDigest}, nil
		}
	}
	if log != nil {
		log.Info("building tenant template", "database", s.template, "version", version, "digest", digest, "replacing", exists)
	}

	build := s.template + "_build"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(build)+" WITH (FORCE)"); err != nil {
		return Template{}, fmt.Errorf("drop stale template build: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(build)+" TEMPLATE template0"); err != nil {
		return Template{}, fmt.Errorf("create template build: %w", err)
	}
	cfg, err := s.ConnConfig(ctx, srv, build)
	if err != nil {
		return Template{}, err
	}
	if err := db.MigrateTenant(ctx, cfg); err != nil {
		return Template{}, fmt.Errorf("migrate template build: %w", err)
	}
	stmts := []string{}
	if exists {
		stmts = append(stmts,
			"ALTER DATABASE "+ident(s.template)+" IS_TEMPLATE false",
			"DROP DATABASE "+ident(s.template)+" WITH (FORCE)")
	}
	stmts = append(stmts,
		"ALTER DATABASE "+ident(build)+" RENAME TO "+ident(s.template),
		"ALTER DATABASE "+ident(s.template)+" IS_TEMPLATE true ALLOW_CONNECTIONS false",
		"COMMENT ON DATABASE "+ident(s.template)+" IS "+literal(fmt.Sprintf("%sv%d %s", templateCommentPrefix, version, digest)))
	for _, stmt := range stmts {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return Template{}, fmt.Errorf("install template %s: %w", s.template, err)
		}
	}
	return Template{Version: version, Digest: digest}, nil
}

// parseTemplateComment reads "landlord tenant template v<version> <digest>";
// a template built before versions were recorded is version 0.
func parseTemplateComment(c string) (version int64, digest string) {
	rest, ok := strings.CutPrefix(c, templateCommentPrefix)
	if !ok {
		return 0, ""
	}
	v, d, ok := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(v, "v") {
		return 0, rest
	}
	n, err := strconv.ParseInt(v[1:], 10, 64)
	if err != nil {
		return 0, rest
	}
	return n, d
}
