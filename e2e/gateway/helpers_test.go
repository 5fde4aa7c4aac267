// Package gateway runs the built ssogate binary against a real OpenID provider
// (oidc-provider under Node.js), a headless Chromium and an echo upstream in this process.
package gateway

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ssogate/ssogate/internal/testenv"
)

// builder builds the gateway binary once for the whole test binary.
var builder testenv.Builder

func TestMain(m *testing.M) { os.Exit(builder.Run(m)) }

// echoed is what the echo upstream received for one request.
type echoed struct {
	Path           string              `json:"path"` // request URI
	Headers        map[string][]string `json:"headers"`
	Claims         map[string]any      `json:"claims"` // the verified assertion's claims
	AssertionAlg   string              `json:"assertion_alg"`
	AssertionError string              `json:"assertion_error"`
}

// echoUpstream is the application behind the gateway: it verifies the identity
// assertion against the gateway's JWKS and echoes what it received, as JSON or, to a
// browser, as a page with the JSON in <pre id="echo">. GET /slow waits for release.
type echoUpstream struct {
	*httptest.Server
	issuer, jwksURL string
	client          *http.Client
	slowArrived     chan struct{}
	release         chan struct{}

	mu  sync.Mutex
	got []echoed
}

var echoPage = template.Must(template.New("echo").Parse(`<!DOCTYPE html><meta charset="utf-8"><title>upstream</title>
<p id="user">{{.User}}</p><p id="groups">{{.Groups}}</p><pre id="echo">{{.JSON}}</pre>`))

// newEchoUpstream starts an upstream that expects assertions with iss and aud equal to
// publicURL, signed by the keys at jwksURL (fetched with client).
func newEchoUpstream(t testing.TB, publicURL, jwksURL string, client *http.Client) *echoUpstream {
	t.Helper()
	u := &echoUpstream{issuer: publicURL, jwksURL: jwksURL, client: client,
		slowArrived: make(chan struct{}, 1), release: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

func (u *echoUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/slow" {
		select {
		case u.slowArrived <- struct{}{}:
		default:
		}
		select {
		case <-u.release:
		case <-r.Context().Done():
			return
		}
	}
	e := echoed{Path: r.URL.RequestURI(), Headers: r.Header.Clone()}
	if raw := r.Header.Get("X-Auth-Request-Assertion"); raw != "" {
		e.Claims, e.AssertionAlg, e.AssertionError = u.verify(r.Context(), raw)
	} else {
		e.AssertionError = "no assertion"
	}
	u.mu.Lock()
	u.got = append(u.got, e)
	u.mu.Unlock()
	data, _ := json.Marshal(e)
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = echoPage.Execute(w, map[string]string{"User": r.Header.Get("X-Auth-Request-User"),
			"Groups": r.Header.Get("X-Auth-Request-Groups"), "JSON": string(data)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// verify checks the assertion as an application would: signature with the gateway's
// published key, iss, aud and lifetime.
func (u *echoUpstream) verify(ctx context.Context, raw string) (map[string]any, string, string) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		return nil, "", "parse: " + err.Error()
	}
	alg, kid := tok.Headers[0].Algorithm, tok.Headers[0].KeyID
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.jwksURL, nil)
	if err != nil {
		return nil, alg, err.Error()
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, alg, "fetch JWKS: " + err.Error()
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, alg, "decode JWKS: " + err.Error()
	}
	keys := set.Key(kid)
	if kid == "" || len(keys) == 0 {
		return nil, alg, fmt.Sprintf("no key with kid %q in the JWKS", kid)
	}
	if tp, err := keys[0].Thumbprint(crypto.SHA256); err != nil || base64.RawURLEncoding.EncodeToString(tp) != kid {
		return nil, alg, fmt.Sprintf("kid %q is not the key's RFC 7638 thumbprint", kid)
	}
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(keys[0].Key, &std, &all); err != nil {
		return nil, alg, "signature: " + err.Error()
	}
	want := jwt.Expected{Issuer: u.issuer, AnyAudience: jwt.Audience{u.issuer}, Time: time.Now()}
	if err := std.ValidateWithLeeway(want, time.Minute); err != nil {
		return nil, alg, "claims: " + err.Error()
	}
	return all, alg, ""
}

// received returns every request the upstream has seen.
func (u *echoUpstream) received() []echoed {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]echoed(nil), u.got...)
}

// stack is a provider, an echo upstream and a gateway in front of it on plain http.
type stack struct {
	idp *testenv.Provider
	up  *echoUpstream
	gw  *testenv.Gateway
}

// startStack starts the three with the client made by client (given the redirect URI)
// and the gateway settings in env on top of the defaults.
func startStack(t *testing.T, client func(redirectURI string) testenv.Client, env map[string]string) *stack {
	t.Helper()
	return startStackUsers(t, client, nil, env)
}

// startStackUsers is startStack with the provider's users (nil: testenv.DefaultUsers).
func startStackUsers(t *testing.T, client func(redirectURI string) testenv.Client, users []testenv.User, env map[string]string) *stack {
	t.Helper()
	return startStackProvider(t, client, testenv.ProviderConfig{Users: users}, env)
}

// startStackProvider is startStack with the provider configured by cfg; its Clients
// are replaced by the one client makes.
func startStackProvider(t *testing.T, client func(redirectURI string) testenv.Client, cfg testenv.ProviderConfig, env map[string]string) *stack {
	t.Helper()
	addr := testenv.FreeAddr(t)
	public := "http://" + addr
	s := &stack{up: newEchoUpstream(t, public, public+"/oidc/jwks.json", &http.Client{Timeout: 5 * time.Second})}
	cfg.Clients = []testenv.Client{client(public + "/oidc/callback")}
	s.idp = testenv.StartOIDCProvider(t, cfg)
	full := map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": public, "UPSTREAM_URL": s.up.URL,
		"OIDC_ISSUER": s.idp.Issuer, "OIDC_SCOPES": "openid profile email groups",
		"LOG_LEVEL": "debug",
	}
	for k, v := range env {
		full[k] = v
	}
	s.gw = testenv.StartGateway(t, builder.Build(t), full)
	s.gw.WaitReady(t, 30*time.Second)
	return s
}
