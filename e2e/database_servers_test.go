package e2e

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/landlordhq/landlord/testenv"
)

// TestDatabaseServersTakeTenantsOnlyOnceCheckedAndOverVerifiedTLS registers
// servers as an operator would: landlord never sends its own login away from
// this machine, a server starts pending and takes no tenant until landlord
// has logged in to it, and a server with TLS must show a certificate that
// chains to the configured CA and names its host. A server that passes takes
// tenants, provisioned over TLS with its own sealed login.
func TestDatabaseServersTakeTenantsOnlyOnceCheckedAndOverVerifiedTLS(t *testing.T) {
	t.Parallel()
	tlsPG := testenv.StartTLSPostgres(t)
	s := newStack(t, stackOptions{tenantDBRoots: tlsPG.Roots})
	register := func(body map[string]any) (int, map[string]any) {
		return s.call(http.MethodPost, "/v1/database-servers", s.operator, body)
	}

	// Away from this machine: its own login and TLS, or nothing.
	code, out := register(map[string]any{"name": "far", "host": "db.example.com"})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Contains(t, out["error"].(map[string]any)["details"], "admin_user")
	code, out = register(map[string]any{"name": "far", "host": "10.1.2.3", "admin_user": "landlord", "admin_password": "pw", "tls": "disable"})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Contains(t, out["error"].(map[string]any)["details"], "tls")

	// This machine's PostgreSQL under another name, with TLS asked: its
	// certificate is not the CA's, so it stays pending and says why.
	code, out = register(map[string]any{"name": "a-untrusted", "host": "localhost", "port": 5432, "tls": "verify-full"})
	require.Equal(t, http.StatusCreated, code, out)
	assert.Equal(t, "pending", out["status"])
	assert.Contains(t, out["check_error"], "certificate")
	untrusted := out["id"].(string)
	code, out = s.call(http.MethodPost, "/v1/database-servers/"+untrusted+"/check", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "pending", out["status"], "a recheck that fails keeps it pending")

	// The test's TLS server with a wrong password: pending.
	code, out = register(map[string]any{"name": "a-wrong", "host": "localhost", "port": tlsPG.Port,
		"admin_user": "postgres", "admin_password": "not-it", "tls": "verify-full"})
	require.Equal(t, http.StatusCreated, code, out)
	assert.Equal(t, "pending", out["status"])
	assert.Contains(t, out["check_error"], "password authentication failed")

	// Pending servers sort before "local" with no tenant: were they eligible, they would be chosen.
	id, _ := s.createTenant("while-pending", "starter")
	assert.Equal(t, "local", s.databaseServerOf(id))

	// The right login: active, its password sealed, and the next tenant lives there,
	// provisioned and served over TLS (the server takes nothing else).
	code, out = register(map[string]any{"name": "a-tls", "host": "127.0.0.1", "port": tlsPG.Port,
		"admin_user": "postgres", "admin_password": tlsPG.Password, "tls": "verify-full"})
	require.Equal(t, http.StatusCreated, code, out)
	assert.Equal(t, "active", out["status"], out)
	code, out = s.call(http.MethodPost, "/v1/database-servers/"+out["id"].(string)+"/check", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Nil(t, out["check_error"])
	var sealed []byte
	require.NoError(t, s.db.Pool.QueryRow(t.Context(), `SELECT admin_password_enc FROM database_servers WHERE name = 'a-tls'`).Scan(&sealed))
	assert.NotContains(t, string(sealed), tlsPG.Password)

	id, admin := s.createTenant("over-tls", "starter")
	assert.Equal(t, "a-tls", s.databaseServerOf(id))
	code, out = s.call(http.MethodGet, "/v1/companies", admin, nil)
	require.Equal(t, http.StatusOK, code, out)
	assert.Len(t, out["companies"], 1, "the default company, read through the tenant's own role over TLS")
}

// databaseServerOf is the name of the server that holds a tenant's database.
func (s *stack) databaseServerOf(id uuid.UUID) string {
	s.t.Helper()
	code, out := s.call(http.MethodGet, "/v1/tenants/"+id.String(), s.operator, nil)
	require.Equal(s.t, http.StatusOK, code, out)
	return out["database"].(map[string]any)["server"].(string)
}
