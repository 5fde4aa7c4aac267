package testidp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssogate/ssogate/internal/testenv"
)

const (
	rpCallback = "http://rp.example/oidc/callback"
	rpHome     = "http://rp.example/"
	rpSecret   = "gateway-secret"
)

// env is a running provider with its server and clock.
type env struct {
	p     *Provider
	srv   *httptest.Server
	clock *testenv.Clock
}

// start runs a provider at issuer path /idp with the demo users, a confidential client
// "gateway" and a public client "spa"; mod may change the options first.
func start(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	clk := testenv.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	opts := Options{
		Issuer: "http://" + srv.Listener.Addr().String() + "/idp",
		Users:  DemoUsers(),
		Clients: []Client{
			{ID: "gateway", Secret: rpSecret, RedirectURIs: []string{rpCallback}, PostLogoutRedirectURIs: []string{rpHome}},
			{ID: "spa", RedirectURIs: []string{rpCallback}},
		},
		Now: clk.Now,
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := New(opts)
	if err != nil {
		srv.Listener.Close()
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{p: p, srv: srv, clock: clk}
}

// authURL is an authorization request URL for params.
func (e *env) authURL(params url.Values) string {
	return e.p.Issuer() + "/authorize?" + params.Encode()
}

// codeParams is a valid code+PKCE request for client with the given verifier.
func codeParams(client, verifier string) url.Values {
	return url.Values{
		"client_id": {client}, "redirect_uri": {rpCallback}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"},
	}
}

// fetch sends req with c and returns the response with its body read.
func fetch(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fetch(t, c, req)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fetch(t, c, req)
}

// login opens the login form for params and submits it with the given credentials
// and action ("login" or "cancel"), returning the provider's answer.
func (e *env) login(t *testing.T, c *http.Client, params url.Values, user, pass, action string) (*http.Response, string) {
	t.Helper()
	return testenv.TestIdPLogin(t, c, e.authURL(params), user, pass, action)
}

// redirectParams checks resp is a 302 to the registered callback and returns its query.
func redirectParams(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("got status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != rpCallback {
		t.Fatalf("redirected to %q, want %q", got, rpCallback)
	}
	return loc.Query()
}

// verifier discovers the provider with go-oidc and returns an ID-token verifier for client.
func (e *env) verifier(t *testing.T, client string) (*oidc.Provider, *oidc.IDTokenVerifier) {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	prov, err := oidc.NewProvider(ctx, e.p.Issuer())
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	return prov, prov.Verifier(&oidc.Config{ClientID: client, Now: e.clock.Now})
}

func Example() {
	srv := httptest.NewUnstartedServer(nil)
	p, err := New(Options{
		Issuer:  "http://" + srv.Listener.Addr().String(),
		Users:   DemoUsers(),
		Clients: []Client{{ID: "demo", RedirectURIs: []string{"http://127.0.0.1:4180/oidc/callback"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv.Config.Handler = p
	srv.Start()
	defer srv.Close()

	resp, err := http.Get(p.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var doc struct {
		AuthorizationEndpoint string `json:"authorization_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.TrimPrefix(doc.AuthorizationEndpoint, p.Issuer()))
	// Output: /authorize
}
