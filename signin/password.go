// Package signin holds the rules of end-user sign-in, with no I/O: password
// hashes (argon2id), the secrets behind refresh tokens and sign-in links, the
// delay after failed sign-ins, the access token's claims and the keys that
// sign them. landlord's API signs; the tenancy kit verifies.
package signin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs: memory in KiB, passes, lanes.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// OWASP are the costs OWASP's password storage cheat sheet recommends for
// argon2id: 19 MiB, two passes, one lane.
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// MinPassword and MaxPassword bound a password's length: long enough to
	// resist guessing, short enough that hashing it costs what it should.
	MinPassword = 12
	MaxPassword = 256
)

// PasswordProblem says what is wrong with a new password, or "".
func PasswordProblem(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return "must be valid UTF-8"
	case n < MinPassword:
		return fmt.Sprintf("must be at least %d characters", MinPassword)
	case len(pw) > MaxPassword:
		return fmt.Sprintf("must be at most %d bytes", MaxPassword)
	}
	return ""
}

// Hash is password's argon2id hash under p with a fresh salt, in the PHC
// string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash), which carries its
// parameters so a later change of them can be noticed.
func Hash(password string, p Params) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify says whether password is the one encoded was made from and, when
// it is, whether encoded was made under other parameters than p (rehash it
// now that the password is known). A malformed hash matches nothing.
func Verify(encoded, password string, p Params) (ok, rehash bool) {
	hp, salt, key, err := decode(encoded)
	if err != nil {
		return false, false
	}
	got := argon2.IDKey([]byte(password), salt, hp.Time, hp.Memory, hp.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false
	}
	return true, hp != p || len(salt) != saltLen || len(key) != keyLen
}

var (
	dummyOnce sync.Once
	dummy     string
)

// VerifyNothing does the work of a Verify that fails, for a sign-in whose
// email is unknown or has no password yet: it answers as late as a wrong
// password does, so the answer's timing does not tell which it was.
func VerifyNothing(password string, p Params) {
	dummyOnce.Do(func() { dummy = Hash(rand.Text(), p) })
	Verify(dummy, password, p)
}

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	var p Params
	var v int
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("not an argon2id hash")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("bad argon2 parameters")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, err
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, fmt.Errorf("bad argon2 hash")
	}
	return p, salt, key, nil
}
