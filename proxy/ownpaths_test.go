package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestOtherOIDCPathsAreTheUpstreams: a path under /oidc/ that is not one of the
// gateway's own goes through the usual decision to the upstream, with the signed-in
// user's identity; the gateway's own paths are still answered by the gateway.
func TestOtherOIDCPathsAreTheUpstreams(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn("/")
	for _, path := range []string{"/oidc/anything-else", "/oidc/token", "/oidc/callback/extra", "/oidc/userinfo/"} {
		before := f.hits.Load()
		resp, body := b.api(path)
		if resp.StatusCode != http.StatusOK || f.hits.Load() != before+1 {
			t.Errorf("signed-in GET %s: got %d %q, want 200 from the upstream", path, resp.StatusCode, body)
			continue
		}
		e := decodeEcho(t, body)
		if e.URI != path || e.Header.Get(HeaderUser) != "alice" || e.Header.Get(HeaderAssertion) == "" {
			t.Errorf("signed-in GET %s: upstream saw %s with user %q assertion %q, want the path with alice's identity",
				path, e.URI, e.Header.Get(HeaderUser), e.Header.Get(HeaderAssertion))
		}
	}

	// Not signed in, the same paths get the usual answer: 401 for an API client.
	anon := f.browser()
	before := f.hits.Load()
	resp, body := anon.do(anon.request(http.MethodPost, "/oidc/token", "application/json", strings.NewReader("grant_type=x")))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "login_url") || f.hits.Load() != before {
		t.Errorf("anonymous POST /oidc/token: got %d %q, want 401 naming the login URL and no upstream request", resp.StatusCode, body)
	}

	if resp, body := b.api("/oidc/userinfo"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "alice") {
		t.Errorf("GET /oidc/userinfo: got %d %q, want alice's identity from the gateway", resp.StatusCode, body)
	}
	if resp, _ := b.api("/oidc/restore"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /oidc/restore without LOCAL_RESTORE: got %d, want 404 from the gateway", resp.StatusCode)
	}
	// Each of the gateway's own paths is answered by the gateway, never the upstream
	// (/logout, on the way, signs alice out).
	for _, path := range OwnPaths() {
		before := f.hits.Load()
		resp, _ := b.api(path)
		if f.hits.Load() != before {
			t.Errorf("GET %s (status %d) reached the upstream; it is the gateway's own path", path, resp.StatusCode)
		}
	}
}

// TestOwnPathMatchesOwnPaths: the look-up that sends a request to the route table
// knows exactly the paths OwnPaths lists.
func TestOwnPathMatchesOwnPaths(t *testing.T) {
	for _, p := range OwnPaths() {
		if !ownPath(p) {
			t.Errorf("ownPath(%q) = false, want true: it is in OwnPaths", p)
		}
		for _, near := range []string{p + "/", strings.ToUpper(p), strings.TrimSuffix(p, p[len(p)-1:]), "/x" + p} {
			if ownPath(near) {
				t.Errorf("ownPath(%q) = true, want false", near)
			}
		}
	}
}

// TestEveryRouteIsAnOwnPath: every path the route table serves, other than the
// upstream's catch-all, is one ServeHTTP sends to the route table; a route added to
// the table but not to OwnPaths would never be reached.
func TestEveryRouteIsAnOwnPath(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	routes, ok := f.gw.routes.(chi.Routes)
	if !ok {
		t.Fatalf("the route table is a %T, not chi.Routes", f.gw.routes)
	}
	n := 0
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		if route != "/*" && !ownPath(route) && route != signedOutPath {
			t.Errorf("%s %s is in the route table but not in OwnPaths: requests for it would go upstream", method, route)
		}
		return nil
	})
	if err != nil || n < len(OwnPaths()) {
		t.Fatalf("walking the route table: %v, %d routes, want at least %d", err, n, len(OwnPaths()))
	}
}

// TestEncodedOwnPathIsTheUpstreams: a gateway path written with a percent-encoded
// letter is not the gateway's (the route table matches the path as sent), before
// and after the shortcut that skips the route table for the upstream's paths.
func TestEncodedOwnPathIsTheUpstreams(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn("/")
	before := f.hits.Load()
	resp, body := b.api("/oidc/userinf%6F")
	if resp.StatusCode != http.StatusOK || f.hits.Load() != before+1 {
		t.Fatalf("GET /oidc/userinf%%6F: got %d %q, want 200 from the upstream", resp.StatusCode, body)
	}
}
