// Package backup keeps verified tenant database dumps: on a filesystem (a
// volume) or in an S3-compatible bucket, under keys that say whose dump it is
// and of which cancellation, so a retried backup finds what an earlier
// attempt published instead of writing a second one.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Object is a stored dump.
type Object struct {
	Location  string // where it is: an absolute path, or s3://bucket/key
	SizeBytes int64
	SHA256    string
}

// Store keeps dumps. A dump is visible under its key only once complete.
type Store interface {
	// Put stores the file at path under key, with its size and SHA-256.
	Put(ctx context.Context, key, path string, size int64, sum string) (Object, error)
	// Get says what is stored under key; ErrNotFound if nothing.
	Get(ctx context.Context, key string) (Object, error)
}

// ErrNotFound is a key with nothing stored under it.
var ErrNotFound = errors.New("no backup under that key")

// Files is a Store on a filesystem folder, given as an absolute path.
type Files struct{ Dir string }

// NewFiles checks that dir is absolute and can be created and written.
func NewFiles(dir string) (Files, error) {
	if !filepath.IsAbs(dir) {
		return Files{}, fmt.Errorf("the backup folder %q must be an absolute path", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Files{}, fmt.Errorf("create the backup folder: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return Files{}, fmt.Errorf("write to the backup folder: %w", err)
	}
	probe.Close()
	_ = os.Remove(probe.Name())
	return Files{Dir: dir}, nil
}

func (f Files) path(key string) (string, error) {
	p := filepath.Join(f.Dir, filepath.FromSlash(key))
	if !strings.HasPrefix(p, f.Dir+string(filepath.Separator)) {
		return "", fmt.Errorf("backup key %q leaves the backup folder", key)
	}
	return p, nil
}

// Put copies the dump to a temporary name beside its place, syncs it and
// renames it into place.
func (f Files) Put(_ context.Context, key, path string, size int64, sum string) (Object, error) {
	dst, err := f.path(key)
	if err != nil {
		return Object{}, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return Object{}, fmt.Errorf("create backup folder: %w", err)
	}
	src, err := os.Open(path)
	if err != nil {
		return Object{}, err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".partial-*")
	if err != nil {
		return Object{}, fmt.Errorf("write backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return Object{}, fmt.Errorf("write backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Object{}, fmt.Errorf("write backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Object{}, fmt.Errorf("write backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Object{}, fmt.Errorf("keep backup: %w", err)
	}
	return Object{Location: dst, SizeBytes: size, SHA256: sum}, nil
}

// Get digests the file stored under key.
func (f Files) Get(_ context.Context, key string) (Object, error) {
	p, err := f.path(key)
	if err != nil {
		return Object{}, err
	}
	size, sum, err := Digest(p)
	if errors.Is(err, os.ErrNotExist) {
		return Object{}, ErrNotFound
	}
	if err != nil {
		return Object{}, err
	}
	return Object{Location: p, SizeBytes: size, SHA256: sum}, nil
}

// Digest is the size and SHA-256 of a file.
func Digest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}
