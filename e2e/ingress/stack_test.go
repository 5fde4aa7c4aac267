// Package ingress tests the ingress examples in deploy/ (nginx auth_request, Caddy
// forward_auth) as they are shipped: each test renders the example file, runs the real
// Debian nginx or caddy as the test user's own process on loopback, and puts it in front of
// the built ssogate binary (forward-auth mode) against a real OpenID provider
// (oidc-provider via internal/testenv) and an application that echoes the headers it
// receives. The package has only tests.
package ingress

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/ssogate/ssogate/internal/testenv"
)

// gateway builds the ssogate binary once for every test in the package.
var gateway testenv.Builder

func TestMain(m *testing.M) { os.Exit(gateway.Run(m)) }

// clientID is the gateway's client at the test provider.
const clientID = "ssogate"

// Kinds of stack.
const (
	viaNginx = "nginx"
	viaCaddy = "caddy"
	direct   = "" // ssogate alone, with UPSTREAM_URL
)

// stackOptions choose what startStack runs.
type stackOptions struct {
	ingress     string // viaNginx, viaCaddy or direct
	passthrough bool   // API_KEY_PASSTHROUGH
}

// stack is an application behind ssogate, behind an ingress or not, signing in at a real
// OpenID provider.
type stack struct {
	url     string // what users reach (the ingress, or ssogate itself); ssogate's PUBLIC_URL
	gw      *testenv.Gateway
	idp     *testenv.Provider
	app     *app
	ingress *server // nil for direct
	key     jwk.Key // the provider's signing key, for minting bearer tokens
}

// startStack starts the provider, the application, ssogate (forward-auth only behind an
// ingress, with UPSTREAM_URL without one) and the ingress. ssogate trusts X-Forwarded-*
// from 127.0.0.1 only and lets in only the group wandb-admins: alice, not bob. Everyone's
// role is the default, member (no ROLE_MAP), so that a forged "admin" stands out.
func startStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	bin := gateway.Build(t)
	s := &stack{app: startApp(t), key: newSigningKey(t)}
	gwAddr := testenv.FreeAddr(t)
	s.url = "http://" + gwAddr
	listen := ""
	if opts.ingress != direct {
		listen = testenv.FreeAddr(t)
		s.url = "http://" + listen
	}
	jwks, err := json.Marshal(map[string]any{"keys": []jwk.Key{s.key}})
	if err != nil {
		t.Fatal(err)
	}
	s.idp = testenv.StartOIDCProvider(t, testenv.ProviderConfig{
		Users:   append(testenv.DefaultUsers(), manyGroupsUser()),
		Clients: []testenv.Client{testenv.PublicClient(clientID, s.url+"/oidc/callback")},
		JWKS:    jwks,
	})
	env := map[string]string{
		"LISTEN_ADDR":         gwAddr,
		"OIDC_ISSUER":         s.idp.Issuer,
		"OIDC_CLIENT_ID":      clientID,
		"OIDC_AUTH_METHOD":    "pkce",
		"OIDC_SCOPES":         "openid profile email groups",
		"PUBLIC_URL":          s.url,
		"TRUSTED_PROXIES":     "127.0.0.1/32",
		"ALLOWED_GROUPS":      "wandb-admins",
		"API_KEY_PASSTHROUGH": strconv.FormatBool(opts.passthrough),
		"LOG_LEVEL":           "debug",
	}
	if opts.ingress == direct {
		env["UPSTREAM_URL"] = s.app.URL
	}
	s.gw = testenv.StartGateway(t, bin, env)
	s.gw.WaitReady(t, 30*time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ssogate log:\n%s\n--- provider log ---\n%s", s.gw.Logs(), s.idp.Logs())
		}
	})
	addrs := ingressAddrs{listen: listen, gateway: gwAddr, upstream: s.app.addr()}
	switch opts.ingress {
	case viaNginx:
		s.ingress = startNginx(t, addrs)
	case viaCaddy:
		s.ingress = startCaddy(t, addrs)
	}
	return s
}

// newSigningKey is an RSA key for the provider, which signs its ID tokens with it; the
// tests mint bearer tokens with it too.
func newSigningKey(t *testing.T) jwk.Key {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{jwk.KeyIDKey: "ingress-test-key", jwk.AlgorithmKey: jwa.RS256, jwk.KeyUsageKey: "sig"} {
		if err := key.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return key
}

// manyGroupsUser is a member of wandb-admins and 150 other groups, as users of large
// directories are: their identity headers and assertion run to several kilobytes.
func manyGroupsUser() testenv.User {
	u := testenv.User{Sub: "pat", Username: "pat", Password: "pat", Email: "pat@example.com",
		EmailVerified: true, Name: "Pat Many-Groups", Groups: []string{"wandb-admins"}}
	for i := range 150 {
		u.Groups = append(u.Groups, fmt.Sprintf("department-%03d-research-engineering", i))
	}
	return u
}
