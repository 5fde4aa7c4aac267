package oidcflow

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ssogate/ssogate/internal/testenv"
)

// signer is a key of the test's own, for tokens testidp will not sign.
type signer struct {
	alg  jose.SignatureAlgorithm
	priv any
	pub  any
	kid  string
}

func newSigner(t *testing.T, alg jose.SignatureAlgorithm, kid string) *signer {
	t.Helper()
	s := &signer{alg: alg, kid: kid}
	switch alg {
	case jose.ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s.priv, s.pub = k, &k.PublicKey
	case jose.EdDSA:
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s.priv, s.pub = priv, pub
	default:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		s.priv, s.pub = k, &k.PublicKey
	}
	return s
}

// jwk is the signer's public key as a JWKS entry.
func (s *signer) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: s.pub, KeyID: s.kid, Algorithm: string(s.alg), Use: "sig"}
}

// sign signs claims with typ JWT and kid in the header (the signer's own when kid is "").
func (s *signer) sign(t *testing.T, claims map[string]any, kid string) string {
	t.Helper()
	return s.signTyped(t, claims, kid, "JWT")
}

// signTyped is sign with the given typ header ("" for none).
func (s *signer) signTyped(t *testing.T, claims map[string]any, kid, typ string) string {
	t.Helper()
	if kid == "" {
		kid = s.kid
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: jose.JSONWebKey{Key: s.priv, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// forgedToken builds a compact JWS by hand: header and claims as given, the signature
// HMAC-SHA256 with secret, or empty when secret is nil.
func forgedToken(t *testing.T, header, claims map[string]any, secret []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signingInput := enc(header) + "." + enc(claims)
	if secret == nil {
		return signingInput + "."
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// fakeIdP serves a hand-made discovery document and JWKS. Its URLs may use any host
// name: its client dials the loopback listener whatever the host.
type fakeIdP struct {
	base        string // scheme and host the IdP's URLs start with
	client      *http.Client
	jwksFetches atomic.Int64
}

// startFakeIdP serves handler at host (empty: the listener's own address) and
// returns the IdP with its base URL and a client that reaches it.
func startFakeIdP(t *testing.T, host string, handler func(f *fakeIdP) http.Handler) *fakeIdP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	f := &fakeIdP{base: "http://" + srv.Listener.Addr().String()}
	if host != "" {
		f.base = "http://" + host
	}
	srv.Config.Handler = handler(f)
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	var dialer net.Dialer
	f.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	t.Cleanup(f.client.CloseIdleConnections)
	return f
}

// serveJSON answers with v as JSON.
func serveJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// jwksHandler serves keys and counts the fetches.
func (f *fakeIdP) jwksHandler(keys ...jose.JSONWebKey) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.jwksFetches.Add(1)
		serveJSON(w, jose.JSONWebKeySet{Keys: keys})
	}
}

// discoveryDoc is a minimal discovery document for an IdP at base with issuer iss.
func discoveryDoc(base, iss string) map[string]any {
	return map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks",
		"response_types_supported":              []string{"code", "id_token"},
		"response_modes_supported":              []string{"query", "form_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA"},
	}
}

// trustingFlow starts a fake IdP that publishes a discovery document and key, and
// returns a PKCE Flow for client "gateway" at it, on a fake clock.
func trustingFlow(t *testing.T, key *signer) (*Flow, *fakeIdP, *testenv.Clock) {
	t.Helper()
	idp := startFakeIdP(t, "", func(f *fakeIdP) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/jwks", f.jwksHandler(key.jwk()))
		mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			serveJSON(w, discoveryDoc(f.base, f.base))
		})
		return mux
	})
	clk := newClock()
	f := newFlow(t, Options{Issuer: idp.base, ClientID: "gateway", Method: MethodPKCE, HTTPClient: idp.client, Now: clk.Now})
	return f, idp, clk
}

// blockingJWKS serves keys once release is closed, announcing each request on entered.
func blockingJWKS(t *testing.T, release <-chan struct{}, keys ...jose.JSONWebKey) (*fakeIdP, <-chan struct{}) {
	t.Helper()
	entered := make(chan struct{}, 64)
	idp := startFakeIdP(t, "", func(f *fakeIdP) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.jwksFetches.Add(1)
			entered <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			serveJSON(w, jose.JSONWebKeySet{Keys: keys})
		})
	})
	return idp, entered
}

// waitFor fails the test unless ch delivers within a few seconds.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
