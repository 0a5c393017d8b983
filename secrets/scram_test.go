package secrets

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"testing"
)

// TestScramVerifierFollowsRFC5802 recomputes the stored and server keys from
// the password and the verifier's own salt.
func TestScramVerifierFollowsRFC5802(t *testing.T) {
	v, err := SCRAMVerifier("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^SCRAM-SHA-256\$4096:([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$`).FindStringSubmatch(v)
	if m == nil {
		t.Fatalf("verifier %q is not in PostgreSQL's format", v)
	}
	salt, _ := base64.StdEncoding.DecodeString(m[1])
	salted, _ := pbkdf2.Key(sha256.New, "correct horse", salt, 4096, 32)
	stored := sha256.Sum256(hmacSHA256(salted, "Client Key"))
	if got := base64.StdEncoding.EncodeToString(stored[:]); got != m[2] {
		t.Errorf("stored key %s, want %s", m[2], got)
	}
	if got := base64.StdEncoding.EncodeToString(hmacSHA256(salted, "Server Key")); got != m[3] {
		t.Errorf("server key %s, want %s", m[3], got)
	}
	if w, _ := SCRAMVerifier("correct horse"); w == v {
		t.Error("two verifiers of one password share a salt")
	}
}
