// Package wandb runs the built ssogate binary, with the W&B configuration
// (API_KEY_PASSTHROUGH=true, PUBLIC_PATHS=/oidc/token), in front of a fake of W&B's
// authentication surfaces (internal/fakewandb) and signs in at a real OpenID provider
// (oidc-provider under Node.js). Each test is one W&B client, its requests shaped as
// that client sends them: the SDK and CLI with an API key, the SDK with identity
// federation, SCIM provisioning from Okta or Entra, and an MCP client.
package wandb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/ssogate/ssogate/internal/fakewandb"
	"github.com/ssogate/ssogate/internal/testenv"
)

// builder builds the gateway binary once for the whole test binary.
var builder testenv.Builder

func TestMain(m *testing.M) { os.Exit(builder.Run(m)) }

const (
	clientID = "wandb-gateway"
	// apiKey is alice's W&B API key, known to the fake application only.
	apiKey = "local-5f0c1e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"
	// federationIssuer is the workload identity issuer the application trusts for
	// identity federation (a Kubernetes service-account issuer, say).
	federationIssuer = "https://workload-identity.example.com"
)

// stack is the gateway in front of the fake W&B, signing in at a real provider.
type stack struct {
	gw      *testenv.Gateway
	app     *fakewandb.Server
	fedKey  jwk.Key // signs identity-federation JWTs
	spoofed http.Header
}

// startStack starts the provider, the fake application and the gateway with env
// added to the W&B configuration.
func startStack(t *testing.T, env map[string]string) *stack {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fedKey, err := jwk.FromRaw(priv)
	if err != nil {
		t.Fatal(err)
	}
	_ = fedKey.Set(jwk.KeyIDKey, "workload-1")
	_ = fedKey.Set(jwk.AlgorithmKey, jwa.ES256) // published in its JWKS, as issuers do
	pub, err := fedKey.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := jwk.NewSet()
	_ = keys.AddKey(pub)
	app, err := fakewandb.New(fakewandb.Options{APIKeys: map[string]string{apiKey: "alice"},
		FederationIssuer: federationIssuer, FederationKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(app)
	t.Cleanup(up.Close)

	addr := testenv.FreeAddr(t)
	idp := testenv.StartOIDCProvider(t, testenv.ProviderConfig{
		Clients: []testenv.Client{testenv.PublicClient(clientID, "http://"+addr+"/oidc/callback")},
	})
	full := map[string]string{
		"LISTEN_ADDR": addr, "OIDC_ISSUER": idp.Issuer, "OIDC_CLIENT_ID": clientID, "OIDC_AUTH_METHOD": "pkce",
		"UPSTREAM_URL": up.URL, "API_KEY_PASSTHROUGH": "true", "PUBLIC_PATHS": "/oidc/token",
	}
	for k, v := range env {
		full[k] = v
	}
	gw := testenv.StartGateway(t, builder.Build(t), full)
	gw.WaitReady(t, 30*time.Second)
	return &stack{gw: gw, app: app, fedKey: fedKey, spoofed: http.Header{
		"X-Auth-Request-User": {"mallory"}, "X_Auth_Request_Role": {"admin"}, "X-Auth-Request-Email": {"mallory@example.com"},
	}}
}

// do sends method path with header (plus the spoofed identity headers) and body, and
// returns the response with its body read.
func (s *stack) do(t *testing.T, method, path string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.gw.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.spoofed {
		req.Header[k] = v
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

// lastRequest is what the application saw of the last request to path; it fails the
// test when path never arrived.
func (s *stack) lastRequest(t *testing.T, path string) fakewandb.Request {
	t.Helper()
	reqs := s.app.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i]
		}
	}
	t.Fatalf("the application never received %s", path)
	return fakewandb.Request{}
}

// checkNoIdentity fails the test when the application's last request to path carried
// any identity header: a passed-through credential is the application's to check.
func (s *stack) checkNoIdentity(t *testing.T, path string) fakewandb.Request {
	t.Helper()
	r := s.lastRequest(t, path)
	if got := r.IdentityHeaders(); len(got) != 0 {
		t.Errorf("%s: the application received identity headers %v, want none", path, got)
	}
	return r
}

// passthroughAudits returns the gateway's audit lines for passed-through
// credentials of kind, waiting up to 10s for n of them.
func (s *stack) passthroughAudits(t *testing.T, kind string, n int) []map[string]any {
	t.Helper()
	return s.gw.WaitLogRecords(t, "credential "+kind, n, 10*time.Second, func(r map[string]any) bool {
		return r["event"] == "api_key_passthrough" && r["credential"] == kind
	})
}

// federationJWT is the JWT the SDK reads from WANDB_IDENTITY_TOKEN_FILE.
func (s *stack) federationJWT(t *testing.T, sub string) string {
	t.Helper()
	now := time.Now()
	tok, err := jwt.NewBuilder().Issuer(federationIssuer).Subject(sub).Audience([]string{"wandb"}).
		IssuedAt(now).Expiration(now.Add(5 * time.Minute)).Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256, s.fedKey))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("response %q: %v", body, err)
	}
}
