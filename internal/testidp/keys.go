package testidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// signingKey is one private key and its published public half.
type signingKey struct {
	kid  string
	priv jwk.Key
	pub  jwk.Key
}

// RotateKey makes a freshly generated key, with a new kid, the signing key. Earlier keys
// stay in the JWKS until RemoveOldKeys.
func (p *Provider) RotateKey() error {
	raw, err := generateKey(p.alg)
	if err != nil {
		return err
	}
	priv, err := jwk.FromRaw(raw)
	if err != nil {
		return fmt.Errorf("testidp: wrap key: %w", err)
	}
	if err := jwk.AssignKeyID(priv); err != nil {
		return fmt.Errorf("testidp: key ID: %w", err)
	}
	if err := priv.Set(jwk.AlgorithmKey, p.alg); err != nil {
		return fmt.Errorf("testidp: key alg: %w", err)
	}
	if err := priv.Set(jwk.KeyUsageKey, jwk.ForSignature); err != nil {
		return fmt.Errorf("testidp: key use: %w", err)
	}
	pub, err := priv.PublicKey()
	if err != nil {
		return fmt.Errorf("testidp: public key: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.keys = append(p.st.keys, signingKey{kid: priv.KeyID(), priv: priv, pub: pub})
	return nil
}

// generateKey returns a new private key for alg: P-256 for ES256, RSA 2048 otherwise.
func generateKey(alg jwa.SignatureAlgorithm) (any, error) {
	var raw any
	var err error
	switch alg {
	case jwa.ES256:
		raw, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		raw, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, fmt.Errorf("testidp: generate %s key: %w", alg, err)
	}
	return raw, nil
}

// RemoveOldKeys drops every key but the current signing key from the JWKS.
func (p *Provider) RemoveOldKeys() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.keys = p.st.keys[len(p.st.keys)-1:]
}

// KeyID returns the kid of the current signing key.
func (p *Provider) KeyID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.keys[len(p.st.keys)-1].kid
}

// JWKSFetches reports how many times the JWKS has been served.
func (p *Provider) JWKSFetches() int64 { return p.jwksFetches.Load() }

// publicSet returns the published keys as a JWK set.
func (p *Provider) publicSet() (jwk.Set, error) {
	p.mu.Lock()
	keys := append([]signingKey(nil), p.st.keys...)
	p.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k.pub); err != nil {
			return nil, fmt.Errorf("testidp: add key %s: %w", k.kid, err)
		}
	}
	return set, nil
}

// SignIDToken signs claims exactly as given (no defaults, no TokenHook) with the current
// key, as a compact JWS with typ JWT and the key's kid.
func (p *Provider) SignIDToken(claims map[string]any) (string, error) {
	return p.SignToken(claims, "JWT", DefectNone)
}

// idToken builds, hooks and signs the ID token for u under g; accessToken, when not
// empty, is bound by at_hash.
func (p *Provider) idToken(u User, g grant, accessToken string) (string, error) {
	now := p.now()
	c := userClaims(u)
	c["iss"] = p.issuer
	c["aud"] = g.clientID
	c["iat"] = now.Unix()
	c["nbf"] = now.Unix()
	c["exp"] = now.Add(p.ttl).Unix()
	c["auth_time"] = g.authTime.Unix()
	c["sid"] = g.sid
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	if accessToken != "" {
		c["at_hash"] = leftHash(accessToken)
	}
	maps.Copy(c, u.Extra)
	if p.tokenHook != nil {
		p.tokenHook(c)
	}
	d := DefectNone
	if p.idTokenDefect != nil {
		d = p.idTokenDefect()
	}
	return p.SignToken(c, "JWT", d)
}

// userClaims are the identity claims shared by ID tokens and userinfo, without Extra.
func userClaims(u User) map[string]any {
	c := map[string]any{
		"sub":                u.Subject,
		"preferred_username": u.Username,
	}
	if u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	if u.Name != "" {
		c["name"] = u.Name
	}
	if u.Groups != nil {
		c["groups"] = u.Groups
	}
	return c
}

// writeJSON writes v as a JSON response that must not be cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
