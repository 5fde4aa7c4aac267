package assertion

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/testenv"
)

// jwksServer serves the JWKS of whichever signer is current and counts fetches.
type jwksServer struct {
	*httptest.Server
	current atomic.Pointer[Signer]
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, s *Signer) *jwksServer {
	t.Helper()
	srv := &jwksServer{}
	srv.current.Store(s)
	srv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.fetches.Add(1)
		srv.current.Load().JWKSHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (srv *jwksServer) verifier(clock *testenv.Clock, issuer, audience string) *Verifier {
	v := NewVerifier(srv.URL+"/oidc/jwks.json", srv.Client(), issuer, audience)
	v.Now = clock.Now
	return v
}

func TestVerifierAccepts(t *testing.T) {
	clock := newClock()
	s := newTestSigner(t, jwkOf(t, newTestKeys(t).ec), clock)
	srv := newJWKSServer(t, s)
	token, expires, err := s.Sign(testIdentity(), "session-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := srv.verifier(clock, testIssuer, testAudience).Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := testIdentity()
	want.Issuer = testIssuer
	want.SessionID = sessionDigest("session-1")
	if !reflect.DeepEqual(got.Identity, want) {
		t.Errorf("Identity =\n %+v\nwant\n %+v", got.Identity, want)
	}
	if !reflect.DeepEqual(got.Audience, []string{testAudience}) {
		t.Errorf("Audience = %q, want [%q]", got.Audience, testAudience)
	}
	if !got.IssuedAt.Equal(clock.Now()) || !got.NotBefore.Equal(clock.Now()) || !got.Expiry.Equal(expires) {
		t.Errorf("iat, nbf, exp = %v, %v, %v; want %v, %v, %v", got.IssuedAt, got.NotBefore, got.Expiry,
			clock.Now(), clock.Now(), expires)
	}
}

func TestVerifierRejects(t *testing.T) {
	k := newTestKeys(t)
	clock := newClock()
	s := newTestSigner(t, jwkOf(t, k.ec), clock)
	other := newTestSigner(t, jwkOf(t, k.ed), clock)
	good, _, err := s.Sign(testIdentity(), "s")
	if err != nil {
		t.Fatal(err)
	}
	byOther, _, err := other.Sign(testIdentity(), "s")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString

	// Signed by another ES256 key that claims the gateway key's kid.
	hdrs := jws.NewHeaders()
	_ = hdrs.Set(jws.KeyIDKey, s.KeyID())
	rawPayload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	otherEC := newTestKeys(t).ec
	forgedKid, err := jws.Sign(rawPayload, jws.WithKey(jwa.ES256, otherEC, jws.WithProtectedHeaders(hdrs)))
	if err != nil {
		t.Fatal(err)
	}
	// HMAC keyed with the public JWKS: the classic algorithm confusion.
	hmacHdr := b64([]byte(`{"alg":"HS256","kid":"` + s.KeyID() + `","typ":"JWT"}`))
	tampered := parts[0] + "." + b64([]byte(strings.Replace(string(rawPayload), `"role":"admin"`, `"role":"root"`, 1))) + "." + parts[2]

	tests := []struct {
		name     string
		token    string
		advance  time.Duration
		issuer   string
		audience string
		want     string
	}{
		{"wrong audience", good, 0, testIssuer, "https://other.example.com", "aud"},
		{"wrong issuer", good, 0, "https://other.example.com", testAudience, "iss"},
		{"expired beyond the skew", good, 5*time.Minute + 31*time.Second, testIssuer, testAudience, "exp"},
		{"not yet valid beyond the skew", good, -31 * time.Second, testIssuer, testAudience, "not satisfied"},
		{"signed by another key", byOther, 0, testIssuer, testAudience, ErrUnknownKey.Error()},
		{"another key with our kid", string(forgedKid), 0, testIssuer, testAudience, "verif"},
		{"tampered claims", tampered, 0, testIssuer, testAudience, "verif"},
		{"alg none", b64([]byte(`{"alg":"none","kid":"`+s.KeyID()+`"}`)) + "." + parts[1] + ".", 0, testIssuer, testAudience, "not accepted"},
		{"HS256", hmacHdr + "." + parts[1] + "." + b64([]byte("mac")), 0, testIssuer, testAudience, "not accepted"},
		{"header alg differs from key alg", b64([]byte(`{"alg":"RS256","kid":"`+s.KeyID()+`"}`)) + "." + parts[1] + "." + parts[2], 0, testIssuer, testAudience, "does not match"},
		{"no kid", b64([]byte(`{"alg":"ES256"}`)) + "." + parts[1] + "." + parts[2], 0, testIssuer, testAudience, "no kid"},
		{"not a JWS", "not-a-token", 0, testIssuer, testAudience, "compact"},
		{"empty audience configured", good, 0, testIssuer, "", "needs an issuer and an audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, s)
			c := testenv.NewClock(clock.Now().Add(tt.advance))
			_, err := srv.verifier(c, tt.issuer, tt.audience).Verify(context.Background(), tt.token)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestVerifierSkew(t *testing.T) {
	clock := newClock()
	s := newTestSigner(t, jwkOf(t, newTestKeys(t).ed), clock)
	srv := newJWKSServer(t, s)
	token, _, err := s.Sign(claims.Identity{Subject: "s"}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-29 * time.Second, 5*time.Minute + 29*time.Second} {
		c := testenv.NewClock(clock.Now().Add(d))
		if _, err := srv.verifier(c, testIssuer, testAudience).Verify(context.Background(), token); err != nil {
			t.Errorf("clock moved %v: Verify error = %v, want success within the 30s skew", d, err)
		}
	}
}

func TestVerifierKeyRotation(t *testing.T) {
	k := newTestKeys(t)
	clock := newClock()
	old := newTestSigner(t, jwkOf(t, k.ec), clock)
	srv := newJWKSServer(t, old)
	v := srv.verifier(clock, testIssuer, testAudience)
	ctx := context.Background()
	verify := func(s *Signer) error {
		token, _, err := s.Sign(testIdentity(), "s")
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(ctx, token)
		return err
	}
	if err := verify(old); err != nil {
		t.Fatalf("old key before rotation: %v", err)
	}

	rotated, err := NewSigner(SignerOptions{Key: jwkOf(t, k.ed), Previous: jwkOf(t, k.ec),
		Issuer: testIssuer, Audience: testAudience, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv.current.Store(rotated)

	clock.Advance(10 * time.Second)
	for range 3 {
		if err := verify(rotated); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("new kid 10s after a fetch: error = %v, want ErrUnknownKey", err)
		}
	}
	if got := srv.fetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want 1: an unknown kid must not refetch within 30s", got)
	}

	clock.Advance(21 * time.Second)
	if err := verify(rotated); err != nil {
		t.Errorf("new kid 31s after the fetch: %v, want it found by one refetch", err)
	}
	if err := verify(old); err != nil {
		t.Errorf("previous key still published: %v", err)
	}
	if got := srv.fetches.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2", got)
	}
}

func TestVerifierJWKSUnavailable(t *testing.T) {
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	clock := newClock()
	s := newTestSigner(t, jwkOf(t, newTestKeys(t).ed), clock)
	token, _, err := s.Sign(testIdentity(), "s")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(srv.URL, srv.Client(), testIssuer, testAudience)
	v.Now = clock.Now
	for range 3 {
		if _, err := v.Verify(context.Background(), token); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("Verify error = %v, want the JWKS status", err)
		}
	}
	if got := fetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want 1: a failing endpoint is retried at most every 30s", got)
	}
	clock.Advance(31 * time.Second)
	if _, err := v.Verify(context.Background(), token); err == nil {
		t.Error("Verify succeeded against a failing JWKS endpoint")
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times after 31s, want 2", got)
	}
}

func TestVerifierCanceledFetchIsNotAnAttempt(t *testing.T) {
	clock := newClock()
	s := newTestSigner(t, jwkOf(t, newTestKeys(t).ed), clock)
	srv := newJWKSServer(t, s)
	v := srv.verifier(clock, testIssuer, testAudience)
	token, _, err := s.Sign(testIdentity(), "s")
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(canceled, token); err == nil {
		t.Fatal("Verify with a canceled context succeeded, want an error")
	}
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Errorf("Verify after a canceled fetch: %v, want success without waiting 30s", err)
	}
}
