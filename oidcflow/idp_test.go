package oidcflow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
)

// The gateway's registrations at the test IdP.
const (
	confidentialClient = "gateway"
	clientSecret       = "gateway-secret"
	publicClient       = "spa"
	redirectURI        = "https://app.example.com/oidc/callback"
)

// newClock returns the settable time source a Flow and its test IdP share.
func newClock() *testenv.Clock { return testenv.NewClock(time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)) }

// idpEnv is a testidp.Provider served on 127.0.0.1, on a fake clock.
type idpEnv struct {
	idp   *testidp.Provider
	srv   *httptest.Server
	clock *testenv.Clock
}

// startIdP serves a test IdP with the demo users and the gateway's two clients;
// mod, if set, changes its options first.
func startIdP(t *testing.T, mod func(*testidp.Options)) *idpEnv {
	t.Helper()
	clk := newClock()
	opts := testidp.Options{
		Users: testidp.DemoUsers(),
		Clients: []testidp.Client{
			{ID: confidentialClient, Secret: clientSecret, RedirectURIs: []string{redirectURI}},
			{ID: publicClient, RedirectURIs: []string{redirectURI}},
		},
		Now: clk.Now,
	}
	if mod != nil {
		mod(&opts)
	}
	s := idptest.Start(t, opts)
	return &idpEnv{idp: s.Provider, srv: s.HTTP, clock: clk}
}

// options returns Options for the confidential client with method.
func (e *idpEnv) options(method string) Options {
	return Options{
		Issuer:       e.idp.Issuer(),
		ClientID:     confidentialClient,
		ClientSecret: clientSecret,
		Method:       method,
		HTTPClient:   e.srv.Client(),
		Now:          e.clock.Now,
	}
}

// newFlow builds a Flow or fails the test.
func newFlow(t *testing.T, o Options) *Flow {
	t.Helper()
	f, err := New(context.Background(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

// sign signs claims with the IdP's current key.
func (e *idpEnv) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	tok, err := e.idp.SignIDToken(claims)
	if err != nil {
		t.Fatalf("SignIDToken: %v", err)
	}
	return tok
}

// idTokenClaims are valid ID token claims for the login ls, issued now.
func (e *idpEnv) idTokenClaims(ls LoginState) map[string]any {
	now := e.clock.Now()
	return map[string]any{
		"iss": e.idp.Issuer(), "aud": ls.ClientID, "sub": "sub-alice",
		"preferred_username": "alice", "nonce": ls.Nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// browserLogin plays a browser: it opens authURL, submits the IdP's login form with
// action ("login" or "cancel") and returns the request the browser would then make to
// the redirect URI, from a redirect (query) or an auto-submitting form_post page.
func browserLogin(t *testing.T, authURL, username, password, action string) *http.Request {
	t.Helper()
	resp, page := testenv.TestIdPLogin(t, testenv.NewClient(t, false), authURL, username, password, action)
	location := resp.Header.Get("Location")
	switch {
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusFound:
		t.Fatalf("POST %s: HTTP %d: %s", resp.Request.URL, resp.StatusCode, page)
	case location != "":
		if !strings.HasPrefix(location, redirectURI) {
			t.Fatalf("IdP redirected to %q, want the redirect URI", location)
		}
		return httptest.NewRequest(http.MethodGet, location, nil)
	case strings.Contains(page, "document.forms[0].submit()"):
		target, post := testenv.ParseForm(t, page)
		if target != redirectURI {
			t.Fatalf("form_post target = %q, want %q", target, redirectURI)
		}
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(post.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	t.Fatalf("IdP answered the login with neither a redirect nor a form_post:\n%s", page)
	return nil
}

// callbackFrom parses the browser's request to the redirect URI as the gateway would.
func callbackFrom(t *testing.T, r *http.Request) Callback {
	t.Helper()
	cb, err := ParseCallback(httptest.NewRecorder(), r)
	if err != nil {
		t.Fatalf("ParseCallback: %v", err)
	}
	return cb
}
