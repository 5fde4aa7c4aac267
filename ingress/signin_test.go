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
			back := c.signIn(resp, "bob", "bob")
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
	const page = "/asked/for?page=2"
	resp, body := c.get(s.url+page, map[string]string{"Accept": "text/html",
		"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
		"X-Forwarded-Uri": "/steered", "X-Original-Uri": "/steered"})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: got %d, want 302 to the provider; body %q", page, resp.StatusCode, body)
	}
	back := c.signIn(resp, "bob", "bob")
	if got, want := back.Header.Get("Location"), s.url+page; got != want {
		t.Errorf("the sign-in returns to %q, want %q", got, want)
	}
}
