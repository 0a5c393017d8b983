package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBackupDirMustBeAbsolute(t *testing.T) {
	t.Setenv("LANDLORD_SECRET_KEY", "a-secret-key-that-is-long-enough-for-the-check")
	t.Setenv("BACKUP_DIR", "backups")
	_, err := Load()
	assert.ErrorContains(t, err, "BACKUP_DIR must be an absolute path")

	t.Setenv("BACKUP_DIR", "/srv/landlord/backups")
	t.Setenv("BACKUP_S3_BUCKET", "dumps")
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "/srv/landlord/backups", c.BackupDir)
	assert.Equal(t, "dumps", c.BackupS3.Bucket)
}

func TestTenantURLTemplateNamesTheSubdomain(t *testing.T) {
	t.Setenv("TENANT_URL_TEMPLATE", "https://erp.example.com")
	_, err := Load()
	assert.ErrorContains(t, err, "TENANT_URL_TEMPLATE must contain {subdomain}")
	t.Setenv("TENANT_URL_TEMPLATE", "https://{subdomain}.erp.example.com")
	c, err := Load()
	assert.NoError(t, err)
	assert.Equal(t, "https://{subdomain}.erp.example.com", c.TenantURL)
}
