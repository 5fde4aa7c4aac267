package assertion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/ssogate/ssogate/claims"
)

// Verifier tuning.
const (
	// ClockSkew is the leeway on exp, nbf and iat.
	ClockSkew = 30 * time.Second
	// refetchInterval limits JWKS fetches caused by unknown key IDs.
	refetchInterval = 30 * time.Second
	// maxKeySetAge makes the verifier notice keys removed from the JWKS.
	maxKeySetAge = 5 * time.Minute
	// maxJWKSSize bounds the JWKS response read.
	maxJWKSSize = 1 << 20
)

// ErrUnknownKey means the assertion's kid is not in the gateway's JWKS, even after
// a refresh: it was signed by another key.
var ErrUnknownKey = errors.New("assertion: signed by an unknown key")

// acceptedAlg reports whether a verifier accepts alg: asymmetric algorithms only,
// never none or HMAC.
func acceptedAlg(alg jwa.SignatureAlgorithm) bool {
	switch alg {
	case jwa.ES256, jwa.ES384, jwa.ES512, jwa.EdDSA,
		jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512:
		return true
	}
	return false
}

// Claims is a verified assertion: the identity it asserts and its validity.
type Claims struct {
	claims.Identity // Issuer is the gateway; SessionID is the digest Sign put in sid
	Audience        []string
	IssuedAt        time.Time
	NotBefore       time.Time
	Expiry          time.Time
}

// Verifier checks assertions against the gateway's JWKS, for upstream applications
// and the demo. It is safe for concurrent use.
type Verifier struct {
	// Now is the clock; nil means time.Now. Set it before the first Verify.
	Now func() time.Time

	jwksURL, issuer, audience string
	client                    *http.Client

	mu        sync.Mutex // held while fetching, so fetches never overlap
	keys      jwk.Set
	fetchedAt time.Time // of the last attempt, successful or not
	fetchErr  error     // of the last attempt
}

// NewVerifier returns a Verifier that fetches keys from jwksURL (the gateway's
// /oidc/jwks.json) with client (nil means http.DefaultClient) and accepts
// assertions with this issuer and audience, which must not be empty. Keys are fetched on first use, again
// when older than five minutes, and on an unknown kid at most every 30 seconds.
func NewVerifier(jwksURL string, client *http.Client, issuer, audience string) *Verifier {
	if client == nil {
		client = http.DefaultClient
	}
	return &Verifier{jwksURL: jwksURL, client: client, issuer: issuer, audience: audience}
}

// Verify checks token's signature, algorithm, iss, aud, exp and nbf (with
// ClockSkew) and returns its claims.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v.issuer == "" || v.audience == "" {
		return nil, errors.New("assertion: the verifier needs an issuer and an audience")
	}
	if strings.Count(token, ".") != 2 {
		return nil, errors.New("assertion: not a compact JWS")
	}
	msg, err := jws.ParseString(token)
	if err != nil {
		return nil, fmt.Errorf("assertion: parse: %w", err)
	}
	if len(msg.Signatures()) != 1 {
		return nil, errors.New("assertion: want exactly one signature")
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	alg := hdr.Algorithm()
	if !acceptedAlg(alg) {
		return nil, fmt.Errorf("assertion: algorithm %q not accepted", alg)
	}
	key, err := v.key(ctx, hdr.KeyID())
	if err != nil {
		return nil, err
	}
	if ka := key.Algorithm().String(); ka != "" && ka != alg.String() {
		return nil, fmt.Errorf("assertion: header algorithm %s does not match key algorithm %s", alg, ka)
	}
	tok, err := jwt.ParseString(token,
		jwt.WithKey(alg, key),
		jwt.WithValidate(true),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithAcceptableSkew(ClockSkew),
		jwt.WithClock(jwt.ClockFunc(v.now)),
	)
	if err != nil {
		return nil, fmt.Errorf("assertion: %w", err)
	}
	c := &Claims{Audience: tok.Audience(), IssuedAt: tok.IssuedAt(), NotBefore: tok.NotBefore(), Expiry: tok.Expiration()}
	if err := json.Unmarshal(msg.Payload(), &c.Identity); err != nil {
		return nil, fmt.Errorf("assertion: decode claims: %w", err)
	}
	return c, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// key returns the key with this kid, fetching the JWKS when it is missing, stale,
// or lacks the kid and was not fetched in the last 30 seconds.
func (v *Verifier) key(ctx context.Context, kid string) (jwk.Key, error) {
	if kid == "" {
		return nil, errors.New("assertion: no kid in header")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	due := v.fetchedAt.IsZero() || now.Sub(v.fetchedAt) >= refetchInterval
	if v.keys == nil || now.Sub(v.fetchedAt) > maxKeySetAge {
		if v.keys == nil && !due {
			return nil, v.fetchErr // the last fetch failed moments ago
		}
		if err := v.fetch(ctx, now); err != nil && v.keys == nil {
			return nil, err
		}
		due = false
	}
	if key, ok := v.keys.LookupKeyID(kid); ok {
		return key, nil
	}
	if due {
		if err := v.fetch(ctx, now); err != nil {
			return nil, err
		}
		if key, ok := v.keys.LookupKeyID(kid); ok {
			return key, nil
		}
	}
	return nil, ErrUnknownKey
}

// fetch loads the JWKS; v.mu is held. A failure counts as an attempt, so a broken
// JWKS endpoint is not hammered, unless the caller's context ended it.
func (v *Verifier) fetch(ctx context.Context, now time.Time) error {
	err := v.load(ctx)
	if err != nil && ctx.Err() != nil {
		return err
	}
	v.fetchedAt, v.fetchErr = now, err
	return err
}

// load fetches and parses the JWKS into v.keys; v.mu is held.
func (v *Verifier) load(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return fmt.Errorf("assertion: JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("assertion: fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("assertion: fetch JWKS from %s: status %s", v.jwksURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize))
	if err != nil {
		return fmt.Errorf("assertion: read JWKS: %w", err)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return fmt.Errorf("assertion: parse JWKS: %w", err)
	}
	v.keys = set
	return nil
}
