package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ssogate/ssogate/claims"
)

func TestSettingsAreAdminOnly(t *testing.T) {
	reached := new(atomic.Int64)
	settings := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		id, ok := claims.FromContext(r.Context())
		fmt.Fprintf(w, "settings for %s (%v)", id.Username, ok)
	})
	f := newFixture(t, fixtureOptions{settings: settings, apiKeyPassthrough: true})
	alice, bob, anon := f.browser(), f.browser(), f.browser()
	alice.signInAs("alice", "/") // wandb-admins: role admin
	bob.signInAs("bob", "/")     // ml-team: role member

	for _, tc := range []struct {
		name     string
		b        *browser
		method   string
		accept   string
		header   map[string]string
		want     int
		wantBody string
	}{
		{"admin", alice, http.MethodGet, acceptHTML, nil, http.StatusOK, "settings for alice (true)"},
		{"member", bob, http.MethodGet, acceptHTML, nil, http.StatusForbidden, "administrators"},
		{"member claiming admin", bob, http.MethodPost, acceptHTML,
			map[string]string{"X-Auth-Request-Role": "admin", "X_Auth_Request_User": "alice"}, http.StatusForbidden, "administrators"},
		{"no session, navigation", anon, http.MethodGet, acceptHTML, nil, http.StatusFound, ""},
		{"no session, POST", anon, http.MethodPost, acceptHTML, nil, http.StatusUnauthorized, "unauthenticated"},
		{"API key", anon, http.MethodGet, "application/json", map[string]string{"Authorization": "Basic YTpi"}, http.StatusUnauthorized, "unauthenticated"},
	} {
		req := tc.b.request(tc.method, "/oidc/settings", tc.accept, nil)
		for k, v := range tc.header {
			req.Header[k] = []string{v}
		}
		resp, body := tc.b.do(req)
		if resp.StatusCode != tc.want || !strings.Contains(body, tc.wantBody) {
			t.Errorf("%s: got %d %q, want %d containing %q", tc.name, resp.StatusCode, body, tc.want, tc.wantBody)
		}
	}
	if got := reached.Load(); got != 1 {
		t.Errorf("settings handler reached %d times, want once (by the admin)", got)
	}
}
