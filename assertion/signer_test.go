package assertion

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/testenv"
)

const (
	testIssuer   = "https://wandb.example.com"
	testAudience = "https://wandb.example.com"
)

func newClock() *testenv.Clock { return testenv.NewClock(time.Unix(1767225600, 0)) }

func jwkOf(t testing.TB, raw any) jwk.Key {
	t.Helper()
	key, err := ParseKey(pkcs8(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newTestSigner(t testing.TB, key jwk.Key, clock *testenv.Clock) *Signer {
	t.Helper()
	s, err := NewSigner(SignerOptions{Key: key, Issuer: testIssuer, Audience: testAudience, Now: clock.Now})
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func testIdentity() claims.Identity {
	return claims.Identity{
		Subject: "00u1abcd", Username: "김지수", Email: "jisu@example.com", EmailVerified: true,
		Name: "Zoë 김지수", Groups: []string{"ml-team", "wandb-admins"}, Role: claims.RoleAdmin,
		Issuer: "https://acme.okta.com", IdP: claims.KindOkta, AMR: []string{claims.AMRSSO},
	}
}

// verifyWithGoJose checks token with go-jose against the signer's published JWKS
// and returns its header and claims.
func verifyWithGoJose(t *testing.T, s *Signer, token string) (jose.Header, map[string]any) {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatalf("go-jose cannot parse the JWKS: %v", err)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatalf("go-jose cannot parse the token: %v", err)
	}
	hdr := jws.Signatures[0].Protected
	keys := set.Key(hdr.KeyID)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys with kid %q, want 1", len(keys), hdr.KeyID)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("go-jose signature check: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(payload, &got); err != nil {
		t.Fatal(err)
	}
	return hdr, got
}

func TestSignVerifiesWithGoJose(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name string
		raw  any
		pub  crypto.PublicKey
		alg  string
	}{
		{"ES256", k.ec, &k.ec.PublicKey, "ES256"},
		{"EdDSA", k.ed, k.ed.Public(), "EdDSA"},
		{"RS256", k.rsa, &k.rsa.PublicKey, "RS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			key, err := LoadKeyFile(writeFile(t, pkcs8(t, tt.raw)))
			if err != nil {
				t.Fatal(err)
			}
			s := newTestSigner(t, key, clock)
			token, expires, err := s.Sign(testIdentity(), "session-1")
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			now := clock.Now().Unix()
			if want := time.Unix(now+300, 0); !expires.Equal(want) {
				t.Errorf("expires = %v, want %v (5 minutes)", expires, want)
			}
			hdr, got := verifyWithGoJose(t, s, token)
			if hdr.Algorithm != tt.alg {
				t.Errorf("header alg = %q, want %q", hdr.Algorithm, tt.alg)
			}
			if want := rfc7638(t, tt.pub); hdr.KeyID != want || s.KeyID() != want {
				t.Errorf("header kid = %q, KeyID() = %q, want thumbprint %q", hdr.KeyID, s.KeyID(), want)
			}
			if typ := hdr.ExtraHeaders[jose.HeaderType]; typ != "JWT" {
				t.Errorf("header typ = %v, want JWT", typ)
			}
			digest := sha256.Sum256([]byte("session-1"))
			sum := base64.RawURLEncoding.EncodeToString(digest[:16])
			want := map[string]any{
				"iss": testIssuer, "aud": testAudience, "sub": "00u1abcd", "email": "jisu@example.com",
				"email_verified": true, "name": "Zoë 김지수", "preferred_username": "김지수",
				"groups": []any{"ml-team", "wandb-admins"}, "role": "admin", "idp": "okta",
				"amr": []any{"sso"}, "sid": sum,
				"iat": float64(now), "nbf": float64(now), "exp": float64(now + 300),
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("claims =\n %v\nwant\n %v", got, want)
			}
		})
	}
}

func TestSignEmptyGroupsIsArray(t *testing.T) {
	s := newTestSigner(t, jwkOf(t, newTestKeys(t).ed), newClock())
	token, _, err := s.Sign(claims.Identity{Subject: "s"}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, got := verifyWithGoJose(t, s, token)
	if g, ok := got["groups"].([]any); !ok || len(g) != 0 {
		t.Errorf("groups = %#v, want an empty array", got["groups"])
	}
	if _, ok := got["sid"]; ok {
		t.Errorf("sid = %v, want none for an empty session ID", got["sid"])
	}
	if got["email_verified"] != false || got["role"] != "" {
		t.Errorf("email_verified = %v, role = %v, want false and \"\"", got["email_verified"], got["role"])
	}
}

func TestJWKSPublishesPreviousKey(t *testing.T) {
	k := newTestKeys(t)
	current, previous := jwkOf(t, k.ec), jwkOf(t, k.rsa)
	s, err := NewSigner(SignerOptions{Key: current, Previous: previous, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, key := range set.Keys {
		kids = append(kids, key.KeyID)
		if !key.IsPublic() {
			t.Errorf("key %q in the JWKS is private", key.KeyID)
		}
		if key.Use != "sig" || key.Algorithm == "" {
			t.Errorf("key %q use = %q alg = %q, want sig and an algorithm", key.KeyID, key.Use, key.Algorithm)
		}
	}
	want := []string{rfc7638(t, &k.ec.PublicKey), rfc7638(t, &k.rsa.PublicKey)}
	if !reflect.DeepEqual(kids, want) {
		t.Errorf("JWKS kids = %q, want current then previous %q", kids, want)
	}
	if strings.Contains(string(s.JWKS()), `"d"`) {
		t.Errorf("JWKS contains a private member: %s", s.JWKS())
	}

	same, err := NewSigner(SignerOptions{Key: current, Previous: current, Issuer: testIssuer, Audience: testAudience})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(same.JWKS(), &set); err != nil || len(set.Keys) != 1 {
		t.Errorf("previous = current: JWKS has %d keys (err %v), want 1", len(set.Keys), err)
	}
}

func TestJWKSHandler(t *testing.T) {
	s := newTestSigner(t, jwkOf(t, newTestKeys(t).ec), newClock())
	tests := []struct {
		method     string
		wantStatus int
		wantBody   bool
	}{
		{http.MethodGet, http.StatusOK, true},
		{http.MethodHead, http.StatusOK, false},
		{http.MethodPost, http.StatusMethodNotAllowed, false},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(tt.method, "/oidc/jwks.json", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=300" {
				t.Errorf("Cache-Control = %q, want public, max-age=300", got)
			}
			if got := rec.Body.String(); (got == string(s.JWKS())) != tt.wantBody {
				t.Errorf("body = %q, want the JWKS: %v", got, tt.wantBody)
			}
		})
	}
}

func TestNewSignerRejects(t *testing.T) {
	key := jwkOf(t, newTestKeys(t).ed)
	tests := []struct {
		name string
		opts SignerOptions
	}{
		{"no key", SignerOptions{Issuer: testIssuer, Audience: testAudience}},
		{"no issuer", SignerOptions{Key: key, Audience: testAudience}},
		{"no audience", SignerOptions{Key: key, Issuer: testIssuer}},
		{"TTL under a second", SignerOptions{Key: key, Issuer: testIssuer, Audience: testAudience, TTL: time.Millisecond}},
	}
	for _, tt := range tests {
		if _, err := NewSigner(tt.opts); err == nil {
			t.Errorf("%s: NewSigner succeeded, want an error", tt.name)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	k := newTestKeys(b)
	for _, bc := range []struct {
		name string
		raw  any
	}{{"ES256", k.ec}, {"EdDSA", k.ed}, {"RS256", k.rsa}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := NewSigner(SignerOptions{Key: jwkOf(b, bc.raw), Issuer: testIssuer, Audience: testAudience})
			if err != nil {
				b.Fatal(err)
			}
			id := testIdentity()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Sign(id, "session-1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
