package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/activities"
	"github.com/landlordhq/landlord/backup"
	"github.com/landlordhq/landlord/db"
	"github.com/landlordhq/landlord/tenantdb"
)

// s3Store is a bucket on an S3 server in this process.
func s3Store(t *testing.T) *backup.S3 {
	mem := s3mem.New()
	require.NoError(t, mem.CreateBucket("landlord-backups"))
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	store, err := backup.NewS3(t.Context(), backup.S3Config{Endpoint: srv.URL, Region: "us-east-1", Bucket: "landlord-backups",
		Prefix: "prod", AccessKey: "test", SecretKey: "test-secret"})
	require.NoError(t, err)
	return store
}

func TestOffboardingPublishesAVerifiedBackupToS3(t *testing.T) {
	t.Parallel()
	store := s3Store(t)
	s := newStack(t, stackOptions{backups: store})
	id, _ := s.createTenant("to-s3", "starter")
	// A verification a killed worker left behind.
	admin, err := s.servers.Pool(t.Context(), s.servers.Local())
	require.NoError(t, err)
	_, err = admin.Exec(t.Context(), `CREATE DATABASE `+tenantdb.ScratchName(tenantdb.Name(id)))
	require.NoError(t, err)

	code, _ := s.call(http.MethodDelete, "/v1/tenants/"+id.String()+"?reason=closing", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	s.waitStatus(id, "archived")
	rows, err := db.New(s.db.Pool).TenantBackupList(t.Context(), id)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.True(t, strings.HasPrefix(rows[0].Path, "s3://landlord-backups/prod/"+tenantdb.Name(id)+"/"), rows[0].Path)
	key := strings.TrimPrefix(rows[0].Path, "s3://landlord-backups/prod/")
	obj, err := store.Get(t.Context(), key)
	require.NoError(t, err)
	assert.Equal(t, rows[0].Sha256, obj.SHA256)
	assert.Equal(t, rows[0].SizeBytes, obj.SizeBytes)
	assert.Zero(t, s.count(`SELECT count(*) FROM pg_database WHERE datname = $1`,
		tenantdb.ScratchName(tenantdb.Name(id))), "no scratch database is left")
}

func TestABackupTakenTwiceIsPublishedAndRecordedOnce(t *testing.T) {
	t.Parallel()
	long := testPolicy
	long.Retention = time.Hour
	s := newStack(t, stackOptions{policy: &long})
	id, _ := s.createTenant("twice", "starter")
	code, _ := s.call(http.MethodDelete, "/v1/tenants/"+id.String()+"?reason=closing", s.operator, nil)
	require.Equal(t, http.StatusAccepted, code)
	s.waitStatus(id, "cancelled")
	s.waitAccess(id, false) // the offboarding has closed the database and sleeps through its retention

	files, err := backup.NewFiles(t.TempDir())
	require.NoError(t, err)
	life := &activities.Lifecycle{Pool: s.db.Pool, Servers: s.servers, Backups: files}
	for range 2 { // a retried attempt: the worker died after publishing
		archiving, err := life.Backup(t.Context(), id)
		require.NoError(t, err)
		require.True(t, archiving)
	}
	rows, err := db.New(s.db.Pool).TenantBackupList(t.Context(), id)
	require.NoError(t, err)
	require.Len(t, rows, 1, "one dump per tenant and cancellation")
	size, sum, err := backup.Digest(rows[0].Path)
	require.NoError(t, err)
	assert.Equal(t, rows[0].Sha256, sum)
	assert.Equal(t, rows[0].SizeBytes, size)
	assert.Equal(t, "archiving", string(s.tenantRow(id).Status))
}
