package assertion

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/ssogate/ssogate/claims"
)

// DefaultTTL is how long an assertion is valid when SignerOptions.TTL is zero.
const DefaultTTL = 5 * time.Minute

// SignerOptions configures NewSigner.
type SignerOptions struct {
	Key      jwk.Key          // private signing key, from LoadOrCreateKey or LoadKeyFile
	Previous jwk.Key          // optional retired private key: its public part stays in the JWKS; never signs
	Issuer   string           // iss: PUBLIC_URL
	Audience string           // aud: ASSERTION_AUDIENCE, else PUBLIC_URL
	TTL      time.Duration    // lifetime of an assertion; 0 means DefaultTTL
	Now      func() time.Time // clock; nil means time.Now
}

// Signer signs identity assertions. It is immutable and safe for concurrent use.
type Signer struct {
	raw      any // the private key in its crypto form
	alg      jwa.SignatureAlgorithm
	kid      string
	signer   jws.Signer
	header   string // base64url of the protected header, followed by "."
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	jwks     []byte
}

// NewSigner prepares a Signer: it checks the keys, recomputes their kid (RFC 7638
// thumbprint) and alg, and encodes the protected header and the JWKS once.
func NewSigner(opts SignerOptions) (*Signer, error) {
	if opts.Key == nil {
		return nil, errors.New("assertion: a signing key is required")
	}
	if opts.Issuer == "" || opts.Audience == "" {
		return nil, errors.New("assertion: issuer and audience are required (PUBLIC_URL, ASSERTION_AUDIENCE)")
	}
	if opts.TTL != 0 && opts.TTL < time.Second {
		return nil, fmt.Errorf("assertion: TTL %s is shorter than a second", opts.TTL)
	}
	key, raw, alg, err := normalizeKey(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("assertion: signing key: %w", err)
	}
	signer, err := jws.NewSigner(alg)
	if err != nil {
		return nil, fmt.Errorf("assertion: %s signer: %w", alg, err)
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{alg.String(), key.KeyID(), "JWT"})
	if err != nil {
		return nil, fmt.Errorf("assertion: encode header: %w", err)
	}
	jwks, err := publicSet(key, opts.Previous)
	if err != nil {
		return nil, err
	}
	s := &Signer{
		raw:      raw,
		alg:      alg,
		kid:      key.KeyID(),
		signer:   signer,
		header:   base64.RawURLEncoding.EncodeToString(header) + ".",
		issuer:   opts.Issuer,
		audience: opts.Audience,
		ttl:      opts.TTL,
		now:      opts.Now,
		jwks:     jwks,
	}
	if s.ttl == 0 {
		s.ttl = DefaultTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// publicSet encodes the JWKS: the current key's public part, then the previous
// one's unless it is the same key.
func publicSet(current, previous jwk.Key) ([]byte, error) {
	keys := []jwk.Key{current}
	if previous != nil {
		prev, _, _, err := normalizeKey(previous)
		if err != nil {
			return nil, fmt.Errorf("assertion: previous signing key: %w", err)
		}
		if prev.KeyID() != current.KeyID() {
			keys = append(keys, prev)
		}
	}
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("assertion: public key: %w", err)
		}
		if err := set.AddKey(pub); err != nil {
			return nil, fmt.Errorf("assertion: JWKS: %w", err)
		}
	}
	out, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("assertion: encode JWKS: %w", err)
	}
	return out, nil
}

// KeyID is the current key's kid, its RFC 7638 thumbprint.
func (s *Signer) KeyID() string { return s.kid }

// Algorithm is the JWS algorithm of the current key: ES256, EdDSA or RS256.
func (s *Signer) Algorithm() string { return s.alg.String() }

// payload is the assertion's claim set, in the order upstreams read it.
type payload struct {
	Issuer        string   `json:"iss"`
	Audience      string   `json:"aud"`
	Subject       string   `json:"sub"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	Username      string   `json:"preferred_username,omitempty"`
	Groups        []string `json:"groups"` // always an array, even empty
	Role          string   `json:"role"`
	IdP           string   `json:"idp,omitempty"`
	AMR           []string `json:"amr"`
	SessionID     string   `json:"sid,omitempty"`
	IssuedAt      int64    `json:"iat"`
	NotBefore     int64    `json:"nbf"`
	Expiry        int64    `json:"exp"`
}

// Sign returns a compact JWS asserting id, valid from now for the TTL, and when it
// expires. Its sid is a digest of sessionID, so that a session ticket never
// leaves the gateway; an empty sessionID leaves sid out.
func (s *Signer) Sign(id claims.Identity, sessionID string) (token string, expires time.Time, err error) {
	now := s.now().Unix()
	exp := now + int64(s.ttl/time.Second)
	p := payload{
		Issuer: s.issuer, Audience: s.audience,
		Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified, Name: id.Name,
		Username: id.Username, Groups: id.Groups, Role: id.Role, IdP: id.IdP, AMR: id.AMR,
		SessionID: sessionDigest(sessionID), IssuedAt: now, NotBefore: now, Expiry: exp,
	}
	if p.Groups == nil {
		p.Groups = []string{}
	}
	if p.AMR == nil {
		p.AMR = []string{}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("assertion: encode claims: %w", err)
	}
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(s.header)+enc.EncodedLen(len(body))+1+enc.EncodedLen(512))
	buf = append(buf, s.header...)
	buf = enc.AppendEncode(buf, body)
	sig, err := s.signer.Sign(buf, s.raw)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("assertion: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), time.Unix(exp, 0), nil
}

// sessionDigest is the first 128 bits of SHA-256(sessionID), base64url.
func sessionDigest(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// JWKS is the public key set (current key, then the previous one) as JSON.
func (s *Signer) JWKS() []byte { return bytes.Clone(s.jwks) }

// JWKSHandler serves the JWKS (GET /oidc/jwks.json), cacheable for five minutes.
func (s *Signer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Length", strconv.Itoa(len(s.jwks)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(s.jwks)
	})
}
