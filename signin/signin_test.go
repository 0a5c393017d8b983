package signin

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// cheap keeps the tests quick; the parameters are carried in the hash either way.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestAPasswordVerifiesAgainstItsHashOnly(t *testing.T) {
	h := Hash("correct horse battery", cheap)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$"), h)
	ok, rehash := Verify(h, "correct horse battery", cheap)
	require.True(t, ok)
	require.False(t, rehash)
	ok, _ = Verify(h, "correct horse batterY", cheap)
	require.False(t, ok)
	require.NotEqual(t, h, Hash("correct horse battery", cheap), "each hash has its own salt")
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=0,p=1$c2FsdA$a2V5", "plain"} {
		ok, _ := Verify(bad, "plain", cheap)
		require.False(t, ok, bad)
	}
}

func TestAHashUnderOldParametersAsksToBeRehashed(t *testing.T) {
	h := Hash("correct horse battery", cheap)
	ok, rehash := Verify(h, "correct horse battery", Params{Memory: 128, Time: 1, Threads: 1})
	require.True(t, ok)
	require.True(t, rehash)
	ok, rehash = Verify(h, "wrong password here", Params{Memory: 128, Time: 1, Threads: 1})
	require.False(t, ok)
	require.False(t, rehash, "a wrong password never asks for a rehash")
}

func TestPasswordProblems(t *testing.T) {
	for pw, want := range map[string]string{
		"short":                    "at least 12",
		"twelve chars":             "",
		strings.Repeat("é", 12):    "",
		strings.Repeat("x", 257):   "at most 256",
		"\xff\xfe invalid utf8 pw": "UTF-8",
	} {
		got := PasswordProblem(pw)
		if want == "" {
			require.Empty(t, got, pw)
		} else {
			require.Contains(t, got, want, pw)
		}
	}
}

func TestFailureDelayGrowsExponentiallyToItsBound(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 0, 2: 0, 3: time.Second, 4: 2 * time.Second, 8: 32 * time.Second,
		12: 512 * time.Second, 13: MaxDelay, 1000: MaxDelay} {
		require.Equal(t, want, FailureDelay(n), "%d failures", n)
	}
}

func TestARefreshTokenRotatesOnceThenOnlyARetryIsForgiven(t *testing.T) {
	now := time.Now()
	require.Equal(t, RefreshRotate, Refresh(nil, now))
	used := now.Add(-RefreshGrace / 2)
	require.Equal(t, RefreshRetry, Refresh(&used, now))
	used = now.Add(-RefreshGrace - time.Millisecond)
	require.Equal(t, RefreshReused, Refresh(&used, now))
}

func TestAnAccessTokenVerifiesWithItsKeyOnly(t *testing.T) {
	k, other := NewKey(), NewKey()
	now := time.Now()
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: "u1", ID: "j1",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(AccessTTL))},
		TenantID: "t1", CompanyID: "c1", SessionID: "s1", Role: "admin"}
	tok, err := Sign(k, c)
	require.NoError(t, err)
	set := JWKS{Keys: []JWK{PublicJWK(k), PublicJWK(other)}}
	keys, err := set.Public()
	require.NoError(t, err)
	keyFor := func(kid string) (ed25519.PublicKey, error) {
		if pk, ok := keys[kid]; ok {
			return pk, nil
		}
		return nil, ErrUnknownKey
	}
	got, err := Parse(tok, keyFor, now)
	require.NoError(t, err)
	require.Equal(t, "t1", got.TenantID)
	require.Equal(t, "s1", got.SessionID)

	_, err = Parse(tok, keyFor, now.Add(AccessTTL+time.Minute))
	require.ErrorIs(t, err, jwt.ErrTokenExpired)

	forged, err := Sign(Key{ID: k.ID, Private: other.Private}, c) // signed by another key under k's id
	require.NoError(t, err)
	_, err = Parse(forged, keyFor, now)
	require.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)

	_, err = Parse(tok, func(string) (ed25519.PublicKey, error) { return nil, ErrUnknownKey }, now)
	require.True(t, errors.Is(err, ErrUnknownKey), err)

	none := jwt.NewWithClaims(jwt.SigningMethodNone, c)
	unsigned, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	_, err = Parse(unsigned, keyFor, now)
	require.Error(t, err, "alg none is refused")

	c.TenantID = ""
	tok, _ = Sign(k, c)
	_, err = Parse(tok, keyFor, now)
	require.ErrorContains(t, err, "lacks a claim")
}
