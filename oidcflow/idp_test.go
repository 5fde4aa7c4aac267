package oidcflow

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testidp"
)

// The gateway's registrations at the test IdP.
const (
	confidentialClient = "gateway"
	clientSecret       = "gateway-secret"
	publicClient       = "spa"
	redirectURI        = "https://app.example.com/oidc/callback"
)

// clock is a settable time source shared by a Flow and its test IdP.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// idpEnv is a testidp.Provider served on 127.0.0.1, on a fake clock.
type idpEnv struct {
	idp   *testidp.Provider
	srv   *httptest.Server
	clock *clock
}

// startIdP serves a test IdP with the demo users and the gateway's two clients;
// mod, if set, changes its options first.
func startIdP(t *testing.T, mod func(*testidp.Options)) *idpEnv {
	t.Helper()
	clk := newClock()
	srv := httptest.NewUnstartedServer(nil)
	opts := testidp.Options{
		Issuer: "http://" + srv.Listener.Addr().String(),
		Users:  testidp.DemoUsers(),
		Clients: []testidp.Client{
			{ID: confidentialClient, Secret: clientSecret, RedirectURIs: []string{redirectURI}},
			{ID: publicClient, RedirectURIs: []string{redirectURI}},
		},
		Now: clk.Now,
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := testidp.New(opts)
	if err != nil {
		t.Fatalf("testidp.New: %v", err)
	}
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)
	return &idpEnv{idp: p, srv: srv, clock: clk}
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

var (
	formRe   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// readForm returns the action and hidden fields of the first form in an HTML page.
func readForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	vals := url.Values{}
	for _, h := range hiddenRe.FindAllStringSubmatch(page, -1) {
		vals.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), vals
}

// browserLogin plays a browser: it opens authURL, submits the IdP's login form with
// action ("login" or "cancel") and returns the request the browser would then make to
// the redirect URI, from a redirect (query) or an auto-submitting form_post page.
func browserLogin(t *testing.T, authURL, username, password, action string) *http.Request {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	page := fetch(t, client, http.MethodGet, authURL, nil)
	action0, fields := readForm(t, page.body)
	fields.Set("username", username)
	fields.Set("password", password)
	fields.Set("action", action)
	resp := fetch(t, client, http.MethodPost, action0, fields)
	switch {
	case resp.location != "":
		if !strings.HasPrefix(resp.location, redirectURI) {
			t.Fatalf("IdP redirected to %q, want the redirect URI", resp.location)
		}
		return httptest.NewRequest(http.MethodGet, resp.location, nil)
	case strings.Contains(resp.body, "document.forms[0].submit()"):
		target, post := readForm(t, resp.body)
		if target != redirectURI {
			t.Fatalf("form_post target = %q, want %q", target, redirectURI)
		}
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(post.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	t.Fatalf("IdP answered the login with neither a redirect nor a form_post:\n%s", resp.body)
	return nil
}

type fetched struct{ body, location string }

func fetch(t *testing.T, client *http.Client, method, target string, form url.Values) fetched {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusFound {
		t.Fatalf("%s %s: HTTP %d: %s", method, target, resp.StatusCode, b)
	}
	return fetched{body: string(b), location: resp.Header.Get("Location")}
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
