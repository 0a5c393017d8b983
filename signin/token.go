package signin

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss of every access token landlord signs.
const Issuer = "landlord"

// Claims are what an access token says: who (sub, the user), of which tenant
// and company, in which session, with which role; jti names the token itself.
type Claims struct {
	jwt.RegisteredClaims
	TenantID  string `json:"tid"`
	CompanyID string `json:"cid"`
	SessionID string `json:"sid"`
	Role      string `json:"role"`
	Email     string `json:"email"`
}

// Key is a signing key: its id (kid), its public half and, where it signs,
// its private half.
type Key struct {
	ID      string
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey // nil where the key only verifies
}

// NewKey is a fresh Ed25519 key with a random id.
func NewKey() Key {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader) // crypto/rand never fails
	return Key{ID: rand.Text()[:16], Public: pub, Private: priv}
}

// Sign is the access token of c signed with k (EdDSA, kid in the header).
func Sign(k Key, c Claims) (string, error) {
	if k.Private == nil {
		return "", errors.New("sign: the key has no private half")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = k.ID
	return t.SignedString(k.Private)
}

// ErrUnknownKey: a token signed by a key the verifier does not know (yet).
var ErrUnknownKey = errors.New("unknown signing key")

// Parse verifies an access token: EdDSA only, signed by the key its kid names
// (keyFor answers ErrUnknownKey for one it does not know), issued by
// landlord, not expired (leeway 5 s for clocks), with every claim landlord
// puts in it.
func Parse(token string, keyFor func(kid string) (ed25519.PublicKey, error), now time.Time) (Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return keyFor(kid)
	}, jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		return Claims{}, err
	}
	if c.Subject == "" || c.TenantID == "" || c.SessionID == "" || c.ID == "" {
		return Claims{}, errors.New("the token lacks a claim landlord always sets")
	}
	return c, nil
}

// JWK is a public key as a JSON Web Key (RFC 8037: OKP, Ed25519).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKS is a set of public keys, as GET /.well-known/jwks.json answers it.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK is k's public half as a JWK.
func PublicJWK(k Key) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public), Kid: k.ID, Use: "sig", Alg: "EdDSA"}
}

// Public are the keys of a JWKS by id; a key that is not an Ed25519
// signing key is skipped.
func (s JWKS) Public() (map[string]ed25519.PublicKey, error) {
	out := map[string]ed25519.PublicKey{}
	for _, k := range s.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("key %q: x is not an Ed25519 public key", k.Kid)
		}
		out[k.Kid] = ed25519.PublicKey(x)
	}
	return out, nil
}

// Key lifetimes: the next key is published PublishLead before it may sign,
// so every verifier has fetched it by then; a retired key stays published
// RetireAfter, past the longest lifetime of a token it signed.
const (
	JWKSMaxAge  = time.Minute // how long a verifier may keep a JWKS
	PublishLead = 2 * JWKSMaxAge
	RetireAfter = AccessTTL + JWKSMaxAge
	RotateEvery = 30 * 24 * time.Hour
)
