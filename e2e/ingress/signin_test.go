package ingress

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// testUntrustedForwardedHeaders checks that X-Forwarded-* headers sent straight to ssogate
// by a peer outside TRUSTED_PROXIES (127.0.0.2; only 127.0.0.1 is trusted) cannot choose
// where a sign-in returns, while the same headers from the trusted ingress address do.
func testUntrustedForwardedHeaders(t *testing.T, s *stack) {
	public, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	steer := map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Host": public.Host,
		"X-Forwarded-Uri": "/steered?to=here", "X-Original-Uri": "/steered?to=here", "Accept": "application/json"}
	steered := s.url + "/steered?to=here"
	evil := maps.Clone(steer)
	evil["X-Forwarded-Host"] = "evil.example"

	for _, tc := range []struct {
		name    string
		from    string
		headers map[string]string
		want    string // where the sign-in returns
	}{
		{"trusted peer", "127.0.0.1", steer, steered},
		{"untrusted peer", "127.0.0.2", steer, "/"},
		{"untrusted peer, foreign host", "127.0.0.2", evil, "/"},
		{"trusted peer, foreign host", "127.0.0.1", evil, "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.from)
			resp, body := c.get(s.gw.URL+"/oidc/auth", tc.headers)
			var refusal struct {
				LoginURL string `json:"login_url"`
			}
			if err := json.Unmarshal(body, &refusal); resp.StatusCode != http.StatusUnauthorized || err != nil {
				t.Fatalf("GET /oidc/auth: got %d %q, want 401 JSON", resp.StatusCode, body)
			}
			if want := s.url + "/oidc/login?rd=" + url.QueryEscape(tc.want); refusal.LoginURL != want {
				t.Errorf("login_url: got %q, want %q", refusal.LoginURL, want)
			}

			resp, _ = c.get(s.gw.URL+"/oidc/auth?redirect=true", tc.headers)
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || !strings.HasPrefix(loc.String(), s.idp.Issuer) {
				t.Fatalf("GET /oidc/auth?redirect=true: got %d Location %q, want 302 to the provider", resp.StatusCode, loc)
			}
			if got, want := loc.Query().Get("redirect_uri"), s.url+"/oidc/callback"; got != want {
				t.Errorf("redirect_uri: got %q, want %q", got, want)
			}
			back := c.signIn(resp, "bob")
			if got := back.Header.Get("Location"); got != tc.want {
				t.Errorf("the sign-in returns to %q, want %q", got, tc.want)
			}
		})
	}
}

// testClientForwardedHeaders checks that X-Forwarded-* headers a client sends to the
// ingress are replaced by the ingress's own: the sign-in returns to the page asked for.
func testClientForwardedHeaders(t *testing.T, s *stack) {
	c := newClient(t, "")
	const page = "/asked/for/a%20b%2Fc?page=2&q=%EA%B9%80+x&r=%26"
	resp, body := c.get(s.url+page, map[string]string{"Accept": "text/html",
		"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
		"X-Forwarded-Uri": "/steered", "X-Original-Uri": "/steered"})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: got %d, want 302 to the provider; body %q", page, resp.StatusCode, body)
	}
	back := c.signIn(resp, "bob")
	if got, want := back.Header.Get("Location"), s.url+page; got != want {
		t.Errorf("the sign-in returns to %q, want %q", got, want)
	}
}

// testForbiddenUser signs bob in (he is not in wandb-admins) and checks that he gets
// ssogate's 403, page or JSON, through the ingress and never reaches the application.
func testForbiddenUser(t *testing.T, s *stack) {
	c := newClient(t, "")
	resp, _ := c.get(s.url+"/team", map[string]string{"Accept": "text/html"})
	if got := c.signIn(resp, "bob").Header.Get("Location"); got != s.url+"/team" {
		t.Errorf("sign-in returns to %q, want %q", got, s.url+"/team")
	}
	before := s.app.count()
	for _, tc := range []struct{ accept, want string }{
		{"text/html", "bob"},                // ssogate's page names the user
		{"application/json", `"forbidden"`}, // and its JSON says why
	} {
		resp, body := c.get(s.url+"/team", map[string]string{"Accept": tc.accept})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), tc.want) {
			t.Errorf("Accept %s: got %d %q, want 403 from ssogate containing %s", tc.accept, resp.StatusCode, body, tc.want)
		}
		for name, v := range resp.Header {
			if strings.HasPrefix(normalName(name), "x-auth-request-") {
				t.Errorf("Accept %s: 403 carries %s %q, want no identity headers", tc.accept, name, v)
			}
		}
	}
	if n := s.app.count(); n != before {
		t.Errorf("the application received %d requests from a refused user, want none", n-before)
	}
}

// testManyGroups signs in a user with 151 groups: ssogate's answer to the auth check,
// several kilobytes of headers, must pass the ingress and reach the application whole.
func testManyGroups(t *testing.T, s *stack) {
	c := newClient(t, "")
	resp, _ := c.get(s.url+"/big", map[string]string{"Accept": "text/html"})
	c.signIn(resp, "pat")
	resp, body := c.get(s.url+"/big", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d, want 200; body %q", resp.StatusCode, body)
	}
	got := s.app.last(t, "/big")
	want := strings.Join(manyGroupsUser().Groups, ",")
	if g, _ := got.get("X-Auth-Request-Groups"); g != want {
		t.Errorf("application got X-Auth-Request-Groups of %d bytes, want all %d groups (%d bytes)", len(g), len(manyGroupsUser().Groups), len(want))
	}
	if a, _ := got.get("X-Auth-Request-Assertion"); len(a) < len(want) {
		t.Errorf("application got an assertion of %d bytes, want one carrying every group", len(a))
	}
}

// testSignOut signs alice in and out through the ingress: /logout reaches ssogate, which
// ends the session and sends her to the provider's end-session endpoint.
func testSignOut(t *testing.T, s *stack) {
	c := newClient(t, "")
	resp, _ := c.get(s.url+"/home", map[string]string{"Accept": "text/html"})
	c.signIn(resp, "alice")
	if resp, body := c.get(s.url+"/home", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: got %d, want 200; body %q", resp.StatusCode, body)
	}
	resp, body := c.get(s.url+"/logout", nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, s.idp.Issuer+"/session/end") {
		t.Errorf("GET /logout: got %d Location %q, want 302 to the provider's end-session endpoint; body %q", resp.StatusCode, loc, body)
	}
	before := s.app.count()
	if resp, _ := c.get(s.url+"/home", map[string]string{"Accept": "text/html"}); resp.StatusCode != http.StatusFound {
		t.Errorf("after sign-out: got %d, want 302 to sign in again", resp.StatusCode)
	}
	if n := s.app.count(); n != before {
		t.Errorf("after sign-out the application received %d requests, want none", n-before)
	}
}
