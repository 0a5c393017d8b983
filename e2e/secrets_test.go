package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/landlordhq/landlord/workflows"
)

// TestHistoriesHoldNoSecretsOrPersonalData reads the raw history of an
// onboarding as the Temporal server stores it: no email, phone, token or
// database password may be readable there.
func TestHistoriesHoldNoSecretsOrPersonalData(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := newStack(t, stackOptions{logs: logs})
	body := signupBody("private-co")
	body["phone"] = "+14155550177"
	id, adminToken := s.signup(body)
	s.waitStatus(id, "trial")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/tokens", s.operator, nil)
	require.Equal(t, http.StatusCreated, code)
	minted := out["token"].(string)
	password, err := s.box.Open(s.tenantRow(id).DatabasePasswordEnc)
	require.NoError(t, err)

	var history strings.Builder
	iter := s.temporal.GetWorkflowHistory(t.Context(), workflows.OnboardingWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	events := 0
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		raw, err := proto.Marshal(ev) // binary: payload bytes appear as they are stored
		require.NoError(t, err)
		history.Write(raw)
		events++
	}
	require.Greater(t, events, 10)
	text := history.String()
	for what, secret := range map[string]string{
		"admin email": body["admin_email"].(string), "phone": "+14155550177", "admin token": adminToken,
		"minted token": minted, "database password": string(password), "admin name": "Ana Admin",
	} {
		assert.False(t, strings.Contains(text, secret), "the %s is readable in the history", what)
	}
	assert.True(t, strings.Contains(text, "binary/encrypted"), "payloads are sealed")

	// Nor in the logs of the API and the Temporal client, at debug level, after a
	// failing request too.
	code, _ = s.call(http.MethodGet, "/v1/me", adminToken+"x", nil)
	require.Equal(t, http.StatusUnauthorized, code)
	logged := logs.String()
	require.NotEmpty(t, logged)
	for what, secret := range map[string]string{"admin token": adminToken, "minted token": minted, "database password": string(password)} {
		assert.False(t, strings.Contains(logged, secret), "the %s is in the logs", what)
	}
}
