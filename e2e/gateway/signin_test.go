package gateway

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// checkSignedIn asserts that the upstream received user's identity and an assertion
// that verified against the gateway's JWKS.
func checkSignedIn(t *testing.T, e echoed, user, name string, groups []string) {
	t.Helper()
	h := func(k string) string { return strings.Join(e.Headers[k], ",") }
	if got := h("X-Auth-Request-User"); got != user {
		t.Errorf("upstream got X-Auth-Request-User %q, want %q", got, user)
	}
	if got, want := h("X-Auth-Request-Email"), user+"@example.com"; got != want {
		t.Errorf("upstream got X-Auth-Request-Email %q, want %q", got, want)
	}
	if got, want := h("X-Auth-Request-Groups"), strings.Join(groups, ","); got != want {
		t.Errorf("upstream got X-Auth-Request-Groups %q, want %q", got, want)
	}
	if e.AssertionError != "" {
		t.Fatalf("the upstream could not verify X-Auth-Request-Assertion: %s", e.AssertionError)
	}
	if e.AssertionAlg != "ES256" {
		t.Errorf("assertion alg = %q, want ES256", e.AssertionAlg)
	}
	if got := e.Claims["preferred_username"]; got != user {
		t.Errorf("assertion preferred_username = %v, want %q", got, user)
	}
	if got := e.Claims["name"]; got != name {
		t.Errorf("assertion name = %v, want %q", got, name)
	}
	iat, _ := e.Claims["iat"].(float64)
	exp, _ := e.Claims["exp"].(float64)
	if life := exp - iat; life <= 0 || life > 15*60 {
		t.Errorf("assertion lifetime exp-iat = %vs, want minutes (0 < life <= 15m)", life)
	}
	if e.Claims["sub"] != user || e.Claims["role"] != h("X-Auth-Request-Role") || e.Claims["sid"] == nil {
		t.Errorf("assertion sub %v, role %v, sid %v; want sub %q, the role header %q and a sid",
			e.Claims["sub"], e.Claims["role"], e.Claims["sid"], user, h("X-Auth-Request-Role"))
	}
	var got []string
	list, _ := e.Claims["groups"].([]any)
	for _, g := range list {
		s, _ := g.(string)
		got = append(got, s)
	}
	if !slices.Equal(got, groups) {
		t.Errorf("assertion groups = %q, want %q", got, groups)
	}
}

// checkAuditSuccess asserts one audit line for user's sign-in with method, and an
// access line with a request ID for the upstream page at path.
func checkAuditSuccess(t *testing.T, s *stack, user, method, path string) {
	t.Helper()
	rec := s.gw.WaitRecord(t, "sign-in succeeded", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "user") == user })
	if rec["audit"] != true || testenv.Str(rec, "method") != method || testenv.Str(rec, "request_id") == "" || testenv.Str(rec, "issuer") != s.idp.Issuer {
		t.Errorf("sign-in audit line = %v; want audit true, method %q, a request_id and issuer %q", rec, method, s.idp.Issuer)
	}
	s.gw.WaitRecord(t, "request", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "path") == path && r["status"] == float64(200) && len(testenv.Str(r, "request_id")) >= 8
	})
}

// landOnUpstream waits up to 30 seconds for the browser to show the echo page and
// returns its URL and what the upstream received for it.
func landOnUpstream(t *testing.T, ctx context.Context, gw *testenv.Gateway) (string, echoed) {
	t.Helper()
	const probe = `(() => { const e = document.getElementById('echo');
  return JSON.stringify({url: location.href, echo: e ? e.textContent : '', body: document.body ? document.body.innerText : ''}); })()`
	var page struct{ URL, Echo, Body string }
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		raw, err := chromedp.Run(cctx, chromedp.Evaluate[string](probe))
		cancel()
		if err == nil && json.Unmarshal([]byte(raw), &page) == nil && page.Echo != "" {
			var e echoed
			if err := json.Unmarshal([]byte(page.Echo), &e); err != nil {
				t.Fatalf("echo page at %s: %v", page.URL, err)
			}
			return page.URL, e
		}
		if err == nil && strings.Contains(page.Body, "Request ID:") {
			break // the gateway's error page: no need to wait further
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("the browser did not reach the upstream page; at %s showing %q\n--- gateway log ---\n%s",
		page.URL, page.Body, gw.Logs())
	return "", echoed{}
}

// browserSignIn navigates to startURL, signs in as user (password = user name) on the
// provider's login page and returns where the browser lands on the upstream.
func browserSignIn(t *testing.T, ctx context.Context, s *stack, startURL, user string) (string, echoed) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(startURL), testenv.LoginOIDCProvider(cctx, user, user)); err != nil {
		t.Fatalf("sign in as %s from %s: %v\n--- gateway log ---\n%s\n--- provider log ---\n%s",
			user, startURL, err, s.gw.Logs(), s.idp.Logs())
	}
	return landOnUpstream(t, ctx, s.gw)
}

// browserCookies returns the browser's cookies for rawURL by name.
func browserCookies(t *testing.T, ctx context.Context, rawURL string) map[string]*network.Cookie {
	t.Helper()
	out := map[string]*network.Cookie{}
	for _, c := range testenv.BrowserCookies(t, ctx, rawURL) {
		out[c.Name] = c
	}
	return out
}

func TestBrowserSignInPKCEPublicClient(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
	ctx := testenv.Chrome(t)

	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/some/path?x=1", "alice")
	if want := s.gw.Env["PUBLIC_URL"] + "/some/path?x=1"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	if e.Path != "/some/path?x=1" {
		t.Errorf("upstream got path %q, want /some/path?x=1", e.Path)
	}
	checkSignedIn(t, e, "alice", "Alice Admin", []string{"wandb-admins", "ml-team"})
	checkAuditSuccess(t, s, "alice", "pkce", "/some/path")
	s.idp.WaitLog(t, "EVENT grant.success client=spa", 5*time.Second)
}

func TestBrowserSignInPKCEConfidentialClient(t *testing.T) {
	t.Parallel()
	const secret = "conf-Secret-7f3a9c2e51d8b604"
	s := startStack(t, func(redirect string) testenv.Client { return testenv.ConfidentialClient("web", secret, redirect) },
		map[string]string{"OIDC_CLIENT_ID": "web", "OIDC_CLIENT_SECRET": secret, "OIDC_AUTH_METHOD": "pkce"})
	ctx := testenv.Chrome(t)

	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/runs?project=p1", "bob")
	if want := s.gw.Env["PUBLIC_URL"] + "/runs?project=p1"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	checkSignedIn(t, e, "bob", "Bob Builder", []string{"ml-team"})
	checkAuditSuccess(t, s, "bob", "pkce", "/runs")
	// The token request authenticated with the secret: the provider granted it.
	s.idp.WaitLog(t, "EVENT grant.success client=web", 5*time.Second)
	if logs := s.gw.Logs(); strings.Contains(logs, secret) {
		t.Errorf("the client secret appears in the gateway's log:\n%s", logs)
	}
}

func TestBrowserSignInImplicitFormPost(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.ImplicitClient("legacy", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "legacy"}) // OIDC_AUTH_METHOD defaults to implicit
	ctx := testenv.Chrome(t)

	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/projects/한국어", "jisoo")
	if want := s.gw.Env["PUBLIC_URL"] + "/projects/%ED%95%9C%EA%B5%AD%EC%96%B4"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	checkSignedIn(t, e, "jisoo", "김지수", []string{"ml-team"})
	checkAuditSuccess(t, s, "jisoo", "implicit", "/projects/한국어")
	if !strings.Contains(s.idp.Logs(), "HTTP GET /auth") {
		t.Errorf("the provider saw no authorization request:\n%s", s.idp.Logs())
	}
}
