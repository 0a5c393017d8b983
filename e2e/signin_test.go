package e2e

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/landlordhq/landlord/notify"
	"github.com/landlordhq/landlord/ratelimit"
	"github.com/landlordhq/landlord/signin"
	"github.com/landlordhq/landlord/tenancy"
	"github.com/landlordhq/landlord/tenantdb"
)

// hostCall sends a JSON request to the API at base as if to host (a tenant's
// ERP host) and decodes the answer; it returns the response's headers too.
func hostCall(t testing.TB, base, host, method, path, bearer string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	return hostCallWith(t, base, host, method, path, bearer, body, nil)
}

// hostCallWith is hostCall with extra headers.
func hostCallWith(t testing.TB, base, host, method, path, bearer string, body any, header map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	require.NoError(t, err)
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp.StatusCode, out, resp.Header
}

// signInStack is a stack whose email goes to a local SendGrid that keeps it.
func signInStack(t testing.TB) (*stack, *providerInbox) {
	inbox := &providerInbox{}
	ps := inbox.serve(t)
	return newStack(t, stackOptions{email: notify.NewSendGrid("SG.test", ps.URL, "erp@example.com")}), inbox
}

var linkToken = regexp.MustCompile(`/set-password#token=([A-Za-z0-9_-]{43})`)

// linkTo waits for the email with subjectPart to address and returns its link's token.
func (p *providerInbox) linkTo(t testing.TB, address, subjectPart string) string {
	t.Helper()
	var tok string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, m := range p.emails {
			pers := m["personalizations"].([]any)[0].(map[string]any)
			to := pers["to"].([]any)[0].(map[string]any)["email"]
			text := m["content"].([]any)[0].(map[string]any)["value"].(string)
			if to == address && strings.Contains(m["subject"].(string), subjectPart) {
				if found := linkToken.FindStringSubmatch(text); found != nil {
					tok = found[1]
				}
			}
		}
		require.NotEmpty(c, tok, "no %q email with a link to %s", subjectPart, address)
	}, 30*time.Second, 50*time.Millisecond)
	return tok
}

// addUser has the tenant admin add a user to the default company and returns its id.
func (s *stack) addUser(admin, email, name string) string {
	s.t.Helper()
	code, out := s.call(http.MethodPost, "/v1/companies/"+s.defaultCompany(admin)+"/users", admin, map[string]any{"email": email, "name": name})
	require.Equal(s.t, http.StatusCreated, code, out)
	return out["id"].(string)
}

// jwksKeys are the keys landlord publishes, by id.
func jwksKeys(t *testing.T, base string) map[string]ed25519.PublicKey {
	code, out, h := hostCall(t, base, "", http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, code, out)
	require.Equal(t, "public, max-age=60", h.Get("Cache-Control"))
	raw, _ := json.Marshal(out)
	var set signin.JWKS
	require.NoError(t, json.Unmarshal(raw, &set))
	keys, err := set.Public()
	require.NoError(t, err)
	return keys
}

func claimsOf(t *testing.T, base, access string) signin.Claims {
	keys := jwksKeys(t, base)
	c, err := signin.Parse(access, func(kid string) (ed25519.PublicKey, error) {
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, signin.ErrUnknownKey
	}, time.Now())
	require.NoError(t, err)
	return c
}

func kidOf(t *testing.T, access string) string {
	tok, _, err := jwt.NewParser().ParseUnverified(access, jwt.MapClaims{})
	require.NoError(t, err)
	return tok.Header["kid"].(string)
}

func TestAnInvitedUserSetsAPasswordOnceSignsInAndRefreshes(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	id, admin := s.createTenant("signin-a", "starter")
	s.createTenant("signin-b", "starter")
	host := "signin-a.localhost"
	userID := s.addUser(admin, "bea@signin-a.example.com", "Bea Member")

	link := inbox.linkTo(t, "bea@signin-a.example.com", "invited")
	var history strings.Builder
	iter := s.temporal.GetWorkflowHistory(t.Context(), "sign-in-link/"+id.String()+"/"+userID+"/invitation/first", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		raw, err := proto.Marshal(ev) // payload bytes as they are stored
		require.NoError(t, err)
		history.Write(raw)
	}
	require.NotZero(t, history.Len())
	assert.NotContains(t, history.String(), link, "the link's secret is never in the workflow's history")
	assert.NotContains(t, history.String(), "bea@signin-a.example.com", "nor the user's email, in clear")
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM sign_in_links WHERE tenant_id = $1 AND purpose = 'invitation' AND sha256 = $2`, id, signin.SecretHash(link)),
		"only the link's hash is kept")
	code, out, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "bea@signin-a.example.com", "password": "a password nobody set"})
	assert.Equal(t, http.StatusUnauthorized, code, "an invited user without a password cannot sign in")
	assert.Equal(t, "invalid_credentials", errorCode(out))

	// An admin may send the invitation again while no password is set: a second link, the first still good.
	code, out = s.call(http.MethodPost, "/v1/users/"+userID+"/invitation", admin, nil)
	require.Equal(t, http.StatusAccepted, code, out)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		inbox.mu.Lock()
		defer inbox.mu.Unlock()
		invitations := 0
		for _, m := range inbox.emails {
			if strings.Contains(m["subject"].(string), "invited") {
				invitations++
			}
		}
		require.Equal(c, 2, invitations)
	}, 30*time.Second, 50*time.Millisecond, "a second invitation")

	code, out, _ = hostCall(t, s.url, "", http.MethodPost, "/v1/auth/password", "", map[string]any{"token": link, "password": "short"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, out)
	code, out, _ = hostCall(t, s.url, "", http.MethodPost, "/v1/auth/password", "", map[string]any{"token": link, "password": password})
	require.Equal(t, http.StatusNoContent, code, out)
	code, out, _ = hostCall(t, s.url, "", http.MethodPost, "/v1/auth/password", "", map[string]any{"token": link, "password": "another password entirely"})
	assert.Equal(t, http.StatusUnprocessableEntity, code, "a link works once: %v", out)
	code, out = s.call(http.MethodPost, "/v1/users/"+userID+"/invitation", admin, nil)
	assert.Equal(t, http.StatusConflict, code, "a user with a password is not invited again: %v", out)
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM sign_in_links WHERE user_id = $1 AND used_at IS NOT NULL`, userID),
		"the link used, and the other one voided with it")
	var hash string
	require.NoError(t, s.tenantConn(t, tenantdb.Name(id)).QueryRow(t.Context(), `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash))
	assert.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"), "stored as argon2id at OWASP's parameters: %s", hash)

	code, out, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "BEA@signin-a.example.com", "password": password})
	require.Equal(t, http.StatusOK, code, out)
	c := claimsOf(t, s.url, out["access_token"].(string))
	assert.Equal(t, id.String(), c.TenantID)
	assert.Equal(t, userID, c.Subject)
	assert.Equal(t, s.defaultCompany(admin), c.CompanyID)
	assert.Equal(t, out["session_id"], c.SessionID)
	assert.Equal(t, "member", c.Role)
	assert.InDelta(t, signin.AccessTTL.Seconds(), time.Until(c.ExpiresAt.Time).Seconds(), 5, "about five minutes")
	assert.EqualValues(t, 300, out["expires_in"])

	code, _, _ = hostCall(t, s.url, "signin-b.localhost", http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "bea@signin-a.example.com", "password": password})
	assert.Equal(t, http.StatusUnauthorized, code, "tenant B has no such user: the tenant is the host's")
	code, out2, _ := hostCall(t, s.url, "nobody.localhost", http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "bea@signin-a.example.com", "password": password})
	assert.Equal(t, http.StatusNotFound, code, out2)

	// The refresh token rotates; a retry within the grace gets a pair, a reuse after it ends the session.
	r0 := out["refresh_token"].(string)
	code, r1, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": r0})
	require.Equal(t, http.StatusOK, code, r1)
	assert.NotEqual(t, r0, r1["refresh_token"])
	assert.Equal(t, c.SessionID, claimsOf(t, s.url, r1["access_token"].(string)).SessionID)
	code, out, _ = hostCall(t, s.url, "signin-b.localhost", http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": r1["refresh_token"]})
	assert.Equal(t, http.StatusUnauthorized, code, "a refresh token works on its own tenant's host only: %v", out)
	code, retry, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": r0})
	require.Equal(t, http.StatusOK, code, "a retry whose answer was lost gets a new pair: %v", retry)
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": retry["refresh_token"]})
	require.Equal(t, http.StatusOK, code)
	_, err := s.db.Pool.Exec(t.Context(), `UPDATE refresh_tokens SET replaced_at = replaced_at - interval '1 minute' WHERE sha256 = $1`, signin.SecretHash(r0))
	require.NoError(t, err)
	code, out, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": r0})
	assert.Equal(t, http.StatusUnauthorized, code, "a rotated token presented after the grace is a stolen copy")
	assert.Equal(t, "signed_out", errorCode(out))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM user_sessions WHERE id = $1 AND revoked_reason = 'a rotated refresh token was presented again'`, c.SessionID))
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": r1["refresh_token"]})
	assert.Equal(t, http.StatusUnauthorized, code, "the whole family is revoked")

	// Signing out ends a session.
	code, out, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "bea@signin-a.example.com", "password": password})
	require.Equal(t, http.StatusOK, code, out)
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/logout", "", map[string]any{"refresh_token": out["refresh_token"]})
	assert.Equal(t, http.StatusNoContent, code)
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": out["refresh_token"]})
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/logout", "", map[string]any{"refresh_token": "not-a-token"})
	assert.Equal(t, http.StatusNoContent, code, "sign-out tells nothing of the token")

	if *record {
		s.save("sign_in_link_invitation", "sign-in-link/"+id.String()+"/"+userID+"/invitation/first")
	}
}

func TestFailedSignInsSlowTheAccountAndAnUnknownEmailLooksTheSame(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	id, admin := s.createTenant("signin-slow", "starter")
	host := "signin-slow.localhost"
	userID := s.invited(inbox, admin, "cy@signin-slow.example.com", password)

	login := func(email, pw string) (int, map[string]any, http.Header) {
		return hostCall(t, s.url, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": email, "password": pw})
	}
	for _, email := range []string{"cy@signin-slow.example.com", "nobody@signin-slow.example.com"} {
		var answers []map[string]any
		for range signin.FreeFailures {
			code, out, _ := login(email, "wrong password, again")
			assert.Equal(t, http.StatusUnauthorized, code, out)
			answers = append(answers, out)
		}
		assert.Equal(t, map[string]any{"error": map[string]any{"code": "invalid_credentials", "message": "the email or the password is wrong"}}, answers[0],
			"a wrong password and an unknown email are answered alike")
		code, out, h := login(email, password)
		assert.Equal(t, http.StatusTooManyRequests, code, "after %d failures the account waits, right password or not: %v", signin.FreeFailures, out)
		assert.Equal(t, "1", h.Get("Retry-After"))
	}
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM sign_in_failures WHERE tenant_id = $1 AND failures = 3`, id), "unknown emails are counted as known ones")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, out, _ := login("cy@signin-slow.example.com", password)
		require.Equal(c, http.StatusOK, code, out)
	}, 5*time.Second, 200*time.Millisecond, "once the delay is over the right password signs in")
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM sign_in_failures WHERE tenant_id = $1 AND email = 'cy@signin-slow.example.com'`, id), "a success clears the account's failures")

	// Guesses sent side by side are checked one at a time, so none slips past the delay.
	var mu sync.Mutex
	burst := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			code, _, _ := login("burst@signin-slow.example.com", "wrong password, again")
			mu.Lock()
			burst[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, burst[http.StatusUnauthorized], signin.FreeFailures, "20 guesses at once: %v", burst)
	assert.Equal(t, 20, burst[http.StatusUnauthorized]+burst[http.StatusTooManyRequests], "%v", burst)

	// A hash made under older parameters is replaced at the next sign-in.
	conn := s.tenantConn(t, tenantdb.Name(id))
	_, err := conn.Exec(t.Context(), `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, signin.Hash(password, signin.Params{Memory: 64, Time: 1, Threads: 1}))
	require.NoError(t, err)
	code, out, _ := login("cy@signin-slow.example.com", password)
	require.Equal(t, http.StatusOK, code, out)
	var hash string
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash))
	assert.Contains(t, hash, "$m=19456,t=2,p=1$", "rehashed at today's parameters")

	// One address has a bound of its own, whatever accounts it tries.
	o := s.apiOptions
	o.SignInsPerAddressPerHour = 3
	o.RateLimiter = ratelimit.NewMemory() // its own count, not the one the requests above went into
	narrow := serveAPI(t, o).URL
	for i := range 3 {
		code, _, _ := hostCall(t, narrow, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "x" + string(rune('a'+i)) + "@example.com", "password": "wrong password, again"})
		assert.Equal(t, http.StatusUnauthorized, code)
	}
	code, out, h := hostCall(t, narrow, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "xz@example.com", "password": "wrong password, again"})
	assert.Equal(t, http.StatusTooManyRequests, code, out)
	assert.NotEmpty(t, h.Get("Retry-After"))
}

func TestSessionsEndWhenTheUserIsRemovedItsPasswordChangesOrTheTenantIsSuspended(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	id, admin := s.createTenant("signin-end", "starter")
	host := "signin-end.localhost"
	user := func(email string) string { return s.invited(inbox, admin, email, password) }
	login := func(email, pw string) string { return s.signIn(s.url, host, email, pw)["refresh_token"].(string) }
	refresh := func(tok string) (int, map[string]any) {
		code, out, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": tok})
		return code, out
	}

	removed := user("dee@signin-end.example.com")
	tok := login("dee@signin-end.example.com", password)
	code, _ := s.call(http.MethodDelete, "/v1/users/"+removed, admin, nil)
	require.Equal(t, http.StatusNoContent, code)
	code, out := refresh(tok)
	assert.Equal(t, http.StatusUnauthorized, code, "a removed user's session ends at once: %v", out)

	// A forgotten password: the reset answers alike for any email, and the new password ends the old sessions.
	user("eve@signin-end.example.com")
	old := login("eve@signin-end.example.com", password)
	code, known, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/reset", "", map[string]any{"email": "eve@signin-end.example.com"})
	assert.Equal(t, http.StatusAccepted, code)
	code, unknown, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/reset", "", map[string]any{"email": "nobody@signin-end.example.com"})
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, known, unknown, "the answer does not tell whether the email is a user's")
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/reset", "", map[string]any{"email": "eve@signin-end.example.com"})
	assert.Equal(t, http.StatusAccepted, code)
	reset := inbox.linkTo(t, "eve@signin-end.example.com", "new password")
	code, out, _ = hostCall(t, s.url, "", http.MethodPost, "/v1/auth/password", "", map[string]any{"token": reset, "password": "a brand new passphrase"})
	require.Equal(t, http.StatusNoContent, code, out)
	code, _ = refresh(old)
	assert.Equal(t, http.StatusUnauthorized, code, "a password change ends the sessions")
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "eve@signin-end.example.com", "password": password})
	assert.Equal(t, http.StatusUnauthorized, code, "the old password no longer works")
	login("eve@signin-end.example.com", "a brand new passphrase")
	inbox.mu.Lock()
	resets := 0
	for _, m := range inbox.emails {
		if strings.Contains(m["subject"].(string), "new password") {
			resets++
		}
	}
	inbox.mu.Unlock()
	assert.Equal(t, 1, resets, "a reset asked twice in a few minutes sends one email; none goes to an unknown email")

	// Suspension ends every session of the tenant, in the transaction that suspends it.
	tok = login("eve@signin-end.example.com", "a brand new passphrase")
	code, out = s.call(http.MethodPost, "/v1/tenants/"+id.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM user_sessions WHERE tenant_id = $1 AND revoked_at IS NULL`, id))
	code, out = refresh(tok)
	assert.Equal(t, http.StatusForbidden, code, out)
	assert.Equal(t, "tenant_suspended", errorCode(out))
	code, out, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": "eve@signin-end.example.com", "password": "a brand new passphrase"})
	assert.Equal(t, http.StatusForbidden, code, "a suspended tenant's users cannot sign in: %v", out)
}

// TestSigningKeysRotateWithTokensInFlightAndNobodyIsSignedOut: tokens
// signed before a rotation keep verifying in an ERP service on the kit
// while new ones are signed by the next key, which was published first.
func TestSigningKeysRotateWithTokensInFlightAndNobodyIsSignedOut(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	_, admin := s.createTenant("signin-keys", "starter")
	host := "signin-keys.localhost"
	s.invited(inbox, admin, "fay@signin-keys.example.com", password)
	login := func(base string) map[string]any { return s.signIn(base, host, "fay@signin-keys.example.com", password) }
	before := login(s.url)
	k := newKitService(t, s.url, s.serviceToken(), 30*time.Second)
	serve := k.resolver.Middleware(k.resolver.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := tenancyUser(r)
		_, _ = w.Write([]byte(u))
	})))
	get := func(tok string) int {
		return serveWith(serve, host, tok)
	}
	require.Equal(t, http.StatusOK, get(before["access_token"].(string)))
	published := jwksKeys(t, s.url)
	require.Len(t, published, 2, "the signing key and the next one are published")
	require.Contains(t, published, kidOf(t, before["access_token"].(string)))

	code, out := s.call(http.MethodPost, "/v1/signing-keys/rotate", s.operator, nil)
	assert.Equal(t, http.StatusConflict, code, "a next key published a moment ago does not sign yet: %v", out)

	o := s.apiOptions
	o.SigningKeyLead = time.Millisecond // this replica's operators do not wait for verifiers
	fast := serveAPI(t, o).URL
	stop := make(chan struct{})
	var refused []int
	var inFlight sync.WaitGroup
	inFlight.Go(func() { // requests with the old key's token go on throughout
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c := get(before["access_token"].(string)); c != http.StatusOK {
				refused = append(refused, c)
			}
		}
	})
	code, out, _ = hostCall(t, fast, "", http.MethodPost, "/v1/signing-keys/rotate", s.operator, nil)
	require.Equal(t, http.StatusOK, code, out)
	after := login(fast)
	assert.NotEqual(t, kidOf(t, before["access_token"].(string)), kidOf(t, after["access_token"].(string)), "the next key signs now")
	assert.Equal(t, http.StatusOK, get(after["access_token"].(string)), "the service already had the new key: it was published before it signed")
	code, refreshed, _ := hostCall(t, fast, host, http.MethodPost, "/v1/auth/refresh", "", map[string]any{"refresh_token": before["refresh_token"]})
	require.Equal(t, http.StatusOK, code, "the session from before the rotation goes on: %v", refreshed)
	assert.Equal(t, http.StatusOK, get(refreshed["access_token"].(string)))
	close(stop)
	inFlight.Wait()
	assert.Empty(t, refused, "no request with a token of the retired key was refused")
	keys := jwksKeys(t, fast)
	assert.Len(t, keys, 3, "the retired key stays published beside the signing and the next one")
	assert.Contains(t, keys, kidOf(t, before["access_token"].(string)))
}

// TestTheKitAdmitsOnlyItsOwnTenantsSignedInUsers: a user of tenant A with a
// valid token is refused on tenant B's host; no token, a forged one, or a
// suspended tenant's still-valid one is refused too.
func TestTheKitAdmitsOnlyItsOwnTenantsSignedInUsers(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	a, admin := s.createTenant("signin-kit-a", "starter")
	s.createTenant("signin-kit-b", "starter")
	uid := s.invited(inbox, admin, "gus@signin-kit-a.example.com", password)
	access := s.login("signin-kit-a.localhost", "gus@signin-kit-a.example.com", password)

	k := newKitService(t, s.url, s.serviceToken(), 30*time.Second)
	serve := k.resolver.Middleware(k.resolver.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := tenancyUser(r)
		_, _ = w.Write([]byte(u))
	})))
	assert.Equal(t, http.StatusOK, serveWith(serve, "signin-kit-a.localhost", access))
	assert.Equal(t, uid+" "+a.String(), serveBody(serve, "signin-kit-a.localhost", access))
	assert.Equal(t, http.StatusForbidden, serveWith(serve, "signin-kit-b.localhost", access), "tenant A's token on tenant B's host")
	assert.Equal(t, http.StatusUnauthorized, serveWith(serve, "signin-kit-a.localhost", ""))
	forged := signin.NewKey()
	c := claimsOf(t, s.url, access)
	tok, err := signin.Sign(forged, c)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, serveWith(serve, "signin-kit-a.localhost", tok), "a token signed by a key landlord never published")
	assert.Equal(t, http.StatusUnauthorized, serveWith(serve, "signin-kit-a.localhost", access[:len(access)-4]+"AAAA"))

	suspended := s.statusSeen(a, "suspended")
	code, out := s.call(http.MethodPost, "/v1/tenants/"+a.String()+"/suspend", s.operator, map[string]any{"reason": "fraud review"})
	require.Equal(t, http.StatusOK, code, out)
	<-suspended
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, http.StatusForbidden, serveWith(serve, "signin-kit-a.localhost", access))
	}, 2*time.Second, 10*time.Millisecond, "a suspended tenant's still-valid token is refused within 2 s")
	code, out = s.call(http.MethodPost, "/v1/tenants/"+a.String()+"/reactivate", s.operator, map[string]any{"reason": "cleared"})
	require.Equal(t, http.StatusOK, code, out)
	again := s.login("signin-kit-a.localhost", "gus@signin-kit-a.example.com", password)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		require.Equal(c, http.StatusOK, serveWith(serve, "signin-kit-a.localhost", again))
	}, 10*time.Second, 10*time.Millisecond, "back once reactivated, signed in again")
	assert.Equal(t, http.StatusUnauthorized, serveWith(serve, "signin-kit-a.localhost", access), "the suspension ended the session it was of")
}

// password is the tests' users' password.
const password = "correct horse battery staple"

// invited has the tenant admin add a user, who sets pw through the link of
// its invitation; it returns the user's id.
func (s *stack) invited(inbox *providerInbox, admin, email, pw string) string {
	s.t.Helper()
	id := s.addUser(admin, email, "Someone")
	code, out, _ := hostCall(s.t, s.url, "", http.MethodPost, "/v1/auth/password", "", map[string]any{"token": inbox.linkTo(s.t, email, "invited"), "password": pw})
	require.Equal(s.t, http.StatusNoContent, code, out)
	return id
}

// signIn signs a user in on host at the API at base and returns the answer.
func (s *stack) signIn(base, host, email, pw string) map[string]any {
	s.t.Helper()
	code, out, _ := hostCall(s.t, base, host, http.MethodPost, "/v1/auth/login", "", map[string]any{"email": email, "password": pw})
	require.Equal(s.t, http.StatusOK, code, out)
	return out
}

// login signs a user in on host and returns its access token.
func (s *stack) login(host, email, pw string) string {
	return s.signIn(s.url, host, email, pw)["access_token"].(string)
}
func tenancyUser(r *http.Request) (string, bool) {
	u, ok := tenancy.UserFromContext(r.Context())
	if !ok {
		return "", false
	}
	return u.ID + " " + u.TenantID, true
}

func serveWith(h http.Handler, host, tok string) int {
	code, _ := serveReq(h, host, tok)
	return code
}

func serveBody(h http.Handler, host, tok string) string {
	_, body := serveReq(h, host, tok)
	return body
}

func serveReq(h http.Handler, host, tok string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/gl/entries", nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

// TestARevokedSessionsAccessTokenIsRefusedByTheKitAtOnce: signing out,
// removing the user and changing its password end the session, and the
// change feed tells the ERP's services, which refuse the session's
// still-valid access tokens within two seconds, not when they expire; a
// service started afterwards learns the recent revocations first.
func TestARevokedSessionsAccessTokenIsRefusedByTheKitAtOnce(t *testing.T) {
	t.Parallel()
	s, inbox := signInStack(t)
	_, admin := s.createTenant("signin-rev", "starter")
	host := "signin-rev.localhost"
	k := newKitService(t, s.url, s.serviceToken(), 30*time.Second)
	serve := k.resolver.Middleware(k.resolver.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := tenancyUser(r)
		_, _ = w.Write([]byte(u))
	})))
	user := func(email string) (id, access, refresh string) {
		id = s.invited(inbox, admin, email, password)
		out := s.signIn(s.url, host, email, password)
		require.Equal(t, http.StatusOK, serveWith(serve, host, out["access_token"].(string)))
		return id, out["access_token"].(string), out["refresh_token"].(string)
	}
	refusedWithin2s := func(access, why string) {
		t.Helper()
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			require.Equal(c, http.StatusUnauthorized, serveWith(serve, host, access))
		}, 2*time.Second, 10*time.Millisecond, why)
	}

	_, signedOut, refresh := user("ida@signin-rev.example.com")
	code, _, _ := hostCall(t, s.url, host, http.MethodPost, "/v1/auth/logout", "", map[string]any{"refresh_token": refresh})
	require.Equal(t, http.StatusNoContent, code)
	refusedWithin2s(signedOut, "a signed-out session's access token")

	removedID, removed, _ := user("jo@signin-rev.example.com")
	code, _ = s.call(http.MethodDelete, "/v1/users/"+removedID, admin, nil)
	require.Equal(t, http.StatusNoContent, code)
	refusedWithin2s(removed, "a removed user's access token")

	_, changed, _ := user("kim@signin-rev.example.com")
	_, stays, _ := user("lia@signin-rev.example.com")
	code, _, _ = hostCall(t, s.url, host, http.MethodPost, "/v1/auth/reset", "", map[string]any{"email": "kim@signin-rev.example.com"})
	require.Equal(t, http.StatusAccepted, code)
	code, out, _ := hostCall(t, s.url, "", http.MethodPost, "/v1/auth/password", "", map[string]any{"token": inbox.linkTo(t, "kim@signin-rev.example.com", "new password"), "password": "a brand new passphrase"})
	require.Equal(t, http.StatusNoContent, code, out)
	refusedWithin2s(changed, "the access token of a session before a password change")
	assert.Equal(t, http.StatusOK, serveWith(serve, host, stays), "another user's session goes on")

	// A service that starts now has not seen those events: the feed tells it the recent revocations first.
	late := newKitService(t, s.url, s.serviceToken(), 30*time.Second)
	lateServe := late.resolver.Middleware(late.resolver.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, tok := range []string{signedOut, removed, changed} {
			require.Equal(c, http.StatusUnauthorized, serveWith(lateServe, host, tok))
		}
	}, 2*time.Second, 10*time.Millisecond)
	assert.Equal(t, http.StatusOK, serveWith(lateServe, host, stays))
}
