package proxy

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/session"
)

func TestSignedInButNotAllowedIs403(t *testing.T) {
	f := newFixture(t, fixtureOptions{rules: claims.Rules{AllowedGroups: []string{"finance"}}})
	b := f.browser()
	b.signIn("/")
	for _, tc := range []struct{ name, path, accept, wantType string }{
		{"navigation", "/runs", acceptHTML, "text/html"},
		{"API", "/api/runs", "application/json", "application/json"},
		{"forward-auth", "/oidc/auth", "", "application/json"},
	} {
		resp, body := b.do(b.request(http.MethodGet, tc.path, tc.accept, nil))
		rid := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) {
			t.Errorf("%s: got %d %q, want 403 %s; body %q", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), tc.wantType, body)
		}
		if !strings.Contains(body, "finance") || !strings.Contains(body, rid) {
			t.Errorf("%s: body %q does not name the allowed group and request ID %q", tc.name, body, rid)
		}
		if resp.Header.Get(HeaderUser) != "" {
			t.Errorf("%s: a refused user got identity headers", tc.name)
		}
	}
	if f.hits.Load() != 0 {
		t.Errorf("upstream requests: got %d, want 0", f.hits.Load())
	}
	if recs := f.logs.records(t, "access denied"); len(recs) != 3 || recs[0]["user"] != "alice" || recs[0]["reason"] == "" {
		t.Errorf("access denied audit lines: got %v, want 3 for alice with a reason", recs)
	}
	// userinfo still answers who is signed in, and that the rules refuse them.
	resp, body := b.api("/oidc/userinfo")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"allowed":false`) {
		t.Errorf("userinfo: got %d %q, want 200 with allowed false", resp.StatusCode, body)
	}
}

// brokenStore is a session store that cannot be reached.
type brokenStore struct{ session.Store }

var errStoreDown = errors.New("dial tcp 10.0.0.5:6379: connection refused")

func (brokenStore) Load(*http.Request) (*session.Session, error)    { return nil, errStoreDown }
func (brokenStore) Delete(http.ResponseWriter, *http.Request) error { return errStoreDown }

func TestSessionStoreDownIs503(t *testing.T) {
	f := newFixture(t, fixtureOptions{sessions: func(s session.Store) session.Store { return brokenStore{s} }})
	b := f.browser()
	for _, tc := range []struct{ path, accept string }{
		{"/runs", acceptHTML},
		{"/api/runs", "application/json"},
		{"/oidc/auth", ""},
		{"/oidc/userinfo", "application/json"},
		{"/logout", acceptHTML},
	} {
		resp, body := b.do(b.request(http.MethodGet, tc.path, tc.accept, nil))
		rid := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, rid) {
			t.Errorf("%s: got %d Retry-After %q, want 503 with Retry-After and request ID %q; body %q",
				tc.path, resp.StatusCode, resp.Header.Get("Retry-After"), rid, body)
		}
		if strings.Contains(body, "10.0.0.5") {
			t.Errorf("%s: body leaks the internal error: %q", tc.path, body)
		}
		if !loggedError(t, f, rid, http.StatusServiceUnavailable) {
			t.Errorf("%s: no ERROR log line with the cause for request %q", tc.path, rid)
		}
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	cb := b.idpLogin(b.startLogin("/oidc/login"), "alice", "alice")
	idToken := cb.form.Get("id_token")
	if idToken == "" {
		t.Fatalf("no id_token in the IdP's form_post: %v", cb.form)
	}
	for _, tc := range []struct {
		name, authorization string
		want                int
		wantUser            string
	}{
		{"ID token from the IdP", "Bearer " + idToken, http.StatusOK, "alice"},
		{"forged signature", "Bearer " + idToken[:len(idToken)-6] + flip(idToken[len(idToken)-6:]), http.StatusUnauthorized, ""},
		{"not a JWT", "Bearer opaque-token", http.StatusUnauthorized, ""},
		{"Basic without passthrough", "Basic YXBpOmtleQ==", http.StatusUnauthorized, ""},
	} {
		api := f.browser() // no cookies: the token alone decides
		req := api.request(http.MethodGet, "/api/runs", "application/json", nil)
		req.Header.Set("Authorization", tc.authorization)
		req.Header.Set(HeaderUser, "mallory")
		resp, body := api.do(req)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: got %d, want %d; body %q", tc.name, resp.StatusCode, tc.want, body)
			continue
		}
		if tc.want != http.StatusOK {
			if !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate got %q, want a Bearer challenge", tc.name, resp.Header.Get("WWW-Authenticate"))
			}
			continue
		}
		if got := decodeEcho(t, body).Header.Values(HeaderUser); len(got) != 1 || got[0] != tc.wantUser {
			t.Errorf("%s: upstream %s got %q, want [%q]", tc.name, HeaderUser, got, tc.wantUser)
		}
	}
}
