package signin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// NewSecret is a refresh token's or a sign-in link's secret: 256 random
// bits, URL-safe, and the SHA-256 that is all landlord keeps of it.
func NewSecret() (plain string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, SecretHash(plain)
}

// SecretHash is what landlord stores of a secret and looks it up by.
func SecretHash(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// Lifetimes of what sign-in hands out.
const (
	AccessTTL     = 5 * time.Minute     // an access token
	SessionTTL    = 30 * 24 * time.Hour // a session, however often it is refreshed: then sign in again
	InvitationTTL = 7 * 24 * time.Hour  // a link that sets a new user's first password
	ResetTTL      = time.Hour           // a link that sets a forgotten password
	// RefreshGrace is how long a rotated refresh token may still be
	// presented, by a client that retries a refresh whose answer it lost: it
	// gets a new pair and the one it lost stops working. Presented later, it
	// is a stolen copy and its whole session is revoked.
	RefreshGrace = 10 * time.Second
)

// Outcomes of presenting a refresh token.
type RefreshOutcome int

const (
	RefreshRotate RefreshOutcome = iota // first use: rotate it
	RefreshRetry                        // used a moment ago: a client retrying; rotate again
	RefreshReused                       // used before the grace: revoke the session
)

// Refresh decides what presenting a refresh token means: replacedAt is when
// it was rotated (nil: never), now the time it is presented.
func Refresh(replacedAt *time.Time, now time.Time) RefreshOutcome {
	switch {
	case replacedAt == nil:
		return RefreshRotate
	case now.Sub(*replacedAt) <= RefreshGrace:
		return RefreshRetry
	}
	return RefreshReused
}

// Failed sign-ins of one account (a tenant and an email, known or not).
const (
	FreeFailures  = 3                // failures before any delay
	MaxDelay      = 15 * time.Minute // the longest an account waits between tries
	FailureMemory = 24 * time.Hour   // failures older than this are forgotten
)

// FailureDelay is how long after its last failure an account with failures
// failed sign-ins in a row must wait before the next try: nothing for the
// first FreeFailures, then one second doubling with every failure, at most MaxDelay.
func FailureDelay(failures int) time.Duration {
	if failures < FreeFailures {
		return 0
	}
	n := failures - FreeFailures
	if n >= 10 { // 2^10 s is past MaxDelay already
		return MaxDelay
	}
	return min(time.Duration(1<<n)*time.Second, MaxDelay)
}
