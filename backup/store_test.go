package backup

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dump writes a file standing for a pg_dump and returns its path, size and digest.
func dump(t *testing.T, content string) (string, int64, string) {
	p := filepath.Join(t.TempDir(), "x.dump")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	size, sum, err := Digest(p)
	require.NoError(t, err)
	return p, size, sum
}

// FakeS3 is an S3 server in this process, with bucket made, for tests.
func fakeS3(t *testing.T, bucket string) S3Config {
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(bucket))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return S3Config{Endpoint: srv.URL, Region: "us-east-1", Bucket: bucket, Prefix: "landlord", AccessKey: "test", SecretKey: "test-secret"}
}

func TestStoresPublishWholeDumpsUnderTheirKeys(t *testing.T) {
	_, err := NewFiles("relative/backups")
	assert.ErrorContains(t, err, "absolute")
	files, err := NewFiles(filepath.Join(t.TempDir(), "backups"))
	require.NoError(t, err)
	s3, err := NewS3(t.Context(), fakeS3(t, "dumps"))
	require.NoError(t, err)
	_, err = NewS3(t.Context(), S3Config{Endpoint: fakeS3(t, "other").Endpoint, Bucket: "missing", AccessKey: "a", SecretKey: "b"})
	assert.ErrorContains(t, err, "does not exist")

	for name, store := range map[string]Store{"files": files, "s3": s3} {
		key := "tenant_abc/20261130T010203Z.dump"
		_, err := store.Get(t.Context(), key)
		assert.ErrorIs(t, err, ErrNotFound, name)
		path, size, sum := dump(t, "PGDMP tenant data")
		put, err := store.Put(t.Context(), key, path, size, sum)
		require.NoError(t, err, name)
		got, err := store.Get(t.Context(), key)
		require.NoError(t, err, name)
		assert.Equal(t, put, got, name)
		assert.Equal(t, sum, got.SHA256, name)
		assert.Equal(t, size, got.SizeBytes, name)
		_, err = store.Put(t.Context(), "../escape.dump", path, size, sum)
		if name == "files" {
			assert.ErrorContains(t, err, "leaves the backup folder")
		}
	}
	assert.Equal(t, "s3://dumps/landlord/k.dump", s3.location("k.dump"))
}
