package ingress

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/internal/testenv"
)

func TestNginx(t *testing.T) { testIngress(t, viaNginx) }

func TestCaddy(t *testing.T) { testIngress(t, viaCaddy) }

// testIngress runs every ingress check against one stack behind the named ingress.
func testIngress(t *testing.T, kind string) {
	s := startStack(t, stackOptions{ingress: kind, passthrough: true})
	t.Run("browser sign-in", func(t *testing.T) { testBrowserSignIn(t, s) })
	t.Run("forged identity headers", func(t *testing.T) { testForgedIdentityHeaders(t, s) })
	t.Run("forwarded headers from an untrusted peer", func(t *testing.T) { testUntrustedForwardedHeaders(t, s) })
	t.Run("forwarded headers from the client", func(t *testing.T) { testClientForwardedHeaders(t, s) })
	t.Run("401 carries no identity", func(t *testing.T) { test401CarriesNoIdentity(t, s) })
	t.Run("user outside ALLOWED_GROUPS", func(t *testing.T) { testForbiddenUser(t, s) })
	t.Run("user with many groups", func(t *testing.T) { testManyGroups(t, s) })
	t.Run("sign-out", func(t *testing.T) { testSignOut(t, s) })
	t.Run("machine clients", func(t *testing.T) { testMachineClients(t, s, true) })
	t.Run("methods other than GET", func(t *testing.T) { testOtherMethods(t, s, true) })
}

// aliceHeaders are the identity headers alice must arrive with (role: the default).
func aliceHeaders() map[string]string {
	return map[string]string{
		"X-Auth-Request-User":   "alice",
		"X-Auth-Request-Email":  "alice@example.com",
		"X-Auth-Request-Groups": "wandb-admins,ml-team",
		"X-Auth-Request-Role":   "member",
	}
}

// checkAlice checks that the application saw alice's identity headers, each exactly once,
// no other spelling of them, and an assertion that verifies against ssogate's JWKS
// (fetched through the ingress) and names alice.
func checkAlice(t *testing.T, s *stack, got seen) {
	t.Helper()
	alice := aliceHeaders()
	for name, want := range alice {
		if v, ok := got.get(name); !ok || v != want {
			t.Errorf("application got %s %q, want exactly %q", name, got.identity(name), want)
		}
	}
	for name := range got.leaked() {
		if _, ok := alice[name]; !ok && name != "X-Auth-Request-Assertion" {
			t.Errorf("application got header %s %q; want only ssogate's own identity headers", name, got.Header[name])
		}
	}
	token, ok := got.get("X-Auth-Request-Assertion")
	if !ok || token == "" {
		t.Fatalf("application got X-Auth-Request-Assertion %q, want one signed assertion", got.identity("X-Auth-Request-Assertion"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	claims, err := assertion.NewVerifier(s.url+"/oidc/jwks.json", nil, s.url, s.url).Verify(ctx, token)
	if err != nil {
		t.Fatalf("assertion does not verify against %s/oidc/jwks.json: %v", s.url, err)
	}
	if claims.Username != "alice" || claims.Email != "alice@example.com" || claims.Subject != "alice" {
		t.Errorf("assertion names %q %q sub %q, want alice alice@example.com sub alice", claims.Username, claims.Email, claims.Subject)
	}
}

// testBrowserSignIn signs alice in through the ingress in Chromium and checks that she
// lands on the page she asked for and that the application received her identity.
func testBrowserSignIn(t *testing.T, s *stack) {
	browser := testenv.Chrome(t)
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	const page = "/runs/alice-project?view=table&sort=-created"
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+page), testenv.LoginOIDCProvider(ctx, "alice", "alice")); err != nil {
		t.Fatalf("sign in through the ingress: %v", err)
	}
	var at, body string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		at, _ = chromedp.Run(ctx, chromedp.Location())
		if at == s.url+page {
			body, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			if strings.Contains(body, `"uri"`) {
				break
			}
		}
		pause(ctx, 100*time.Millisecond)
	}
	if at != s.url+page || !strings.Contains(body, "alice@example.com") {
		t.Fatalf("after sign-in the browser is at %s showing %q, want %s showing the application's echo of alice", at, body, s.url+page)
	}
	checkAlice(t, s, s.app.last(t, page))
}

// forged returns identity headers a client makes up, in the spellings that matter.
func forged() map[string]string {
	return map[string]string{
		"X-Auth-Request-User":         "mallory",
		"x-auth-request-user":         "mallory",
		"X_Auth_Request_User":         "mallory",
		"X-Auth-Request-Role":         "admin",
		"X_Auth_Request_Role":         "admin",
		"X-Auth_Request-Groups":       "wandb-admins",
		"x-auth-request-email":        "mallory@example.com",
		"X-Auth-Request-Assertion":    "forged.assertion.value",
		"X-Auth-Request-Access-Token": "forged",
	}
}

// testForgedIdentityHeaders checks that identity headers a client sends never reach the
// application: not signed in, nothing reaches it; signed in, it sees alice.
func testForgedIdentityHeaders(t *testing.T, s *stack) {
	c := newClient(t, "")
	for _, accept := range []string{"text/html", "application/json"} {
		before := s.app.count()
		h := forged()
		h["Accept"] = accept
		resp, body := c.get(s.url+"/forged", h)
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("not signed in, Accept %s: got %d, want 302 or 401; body %q", accept, resp.StatusCode, body)
		}
		if n := s.app.count(); n != before {
			t.Errorf("not signed in, Accept %s: the application received %d requests, want none", accept, n-before)
		}
	}

	resp, _ := c.get(s.url+"/private?x=1", map[string]string{"Accept": "text/html"})
	back := c.signIn(resp, "alice")
	if got, want := back.Header.Get("Location"), s.url+"/private?x=1"; got != want {
		t.Errorf("sign-in returns to %q, want %q", got, want)
	}
	resp, body := c.get(s.url+"/private?x=1", forged())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in with forged headers: got %d, want 200; body %q", resp.StatusCode, body)
	}
	got := s.app.last(t, "/private?x=1")
	checkAlice(t, s, got)
	for name := range got.Header {
		if strings.Contains(name, "_") {
			t.Errorf("application got %s %q; want no header spelt with _", name, got.Header[name])
		}
	}
}

// test401CarriesNoIdentity checks that ssogate's refusals carry no identity headers, even
// when the request forges them.
func test401CarriesNoIdentity(t *testing.T, s *stack) {
	c := newClient(t, "")
	for _, u := range []string{s.gw.URL + "/oidc/auth", s.gw.URL + "/oidc/auth?redirect=true", s.url + "/oidc/auth"} {
		resp, body := c.get(u, forged())
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusFound, http.StatusNotFound: // nginx: internal
		default:
			t.Errorf("GET %s with forged headers: got %d, want 401, 302 or 404; body %q", u, resp.StatusCode, body)
		}
		for name, v := range resp.Header {
			if strings.HasPrefix(normalName(name), "x-auth-request-") {
				t.Errorf("GET %s: %d response carries %s %q, want no identity headers", u, resp.StatusCode, name, v)
			}
		}
	}
}

// pause waits d or until ctx ends: the interval of a bounded poll.
func pause(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}
