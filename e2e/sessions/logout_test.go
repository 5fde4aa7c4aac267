package sessions

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestCookieLogoutEndsCopiesAndProviderSession: with the cookie store, /logout puts
// the session on the revocation list (this replica's memory, or REVOCATION_STORE for
// every replica), so a copy of the cookie taken before it gets 401; and it sends
// id_token_hint from the /logout-only hint cookie, so the provider ends its own session
// and the next sign-in asks for the password again.
func TestCookieLogoutEndsCopiesAndProviderSession(t *testing.T) {
	c := startCluster(t, false, cookieStore, sharedRevokeCookie, sharedRevokeCookie)
	for _, tc := range []struct {
		name             string
		logoutAt, replay []*testenv.Gateway
	}{
		{"memory revocation", c.gws[:1], c.gws[:1]},
		{"REVOCATION_STORE", c.gws[1:2], c.gws[1:3]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := tc.logoutAt[0]
			ctx := testenv.Chrome(t)
			signIn(t, ctx, c, gw, "/app", "alice")
			stolen := cookieHeader(t, ctx, gw.URL)
			atLogout := ""
			for _, ck := range testenv.BrowserCookies(t, ctx, gw.URL+"/logout") {
				if ck.Name == "ssogate-logout" {
					atLogout = ck.Name + "=" + ck.Value
					if ck.Path != "/logout" || !ck.HTTPOnly {
						t.Errorf("logout-hint cookie: Path %q, HttpOnly %v; want /logout, true", ck.Path, ck.HTTPOnly)
					}
					t.Logf("logout-hint cookie: %d bytes (name=value)", len(atLogout))
				}
			}
			if atLogout == "" {
				t.Fatalf("the browser holds no ssogate-logout cookie for %s/logout", gw.URL)
			}
			if strings.Contains(stolen, "ssogate-logout") {
				t.Errorf("the logout-hint cookie is sent to /: %s", stolen)
			}

			r := get(t, gw.URL+"/logout", stolen+"; "+atLogout, testenv.AcceptHTML)
			if r.status != http.StatusFound {
				t.Fatalf("GET /logout: status %d, want 302\n%s", r.status, r.body)
			}
			loc, err := url.Parse(r.header.Get("Location"))
			if err != nil {
				t.Fatalf("GET /logout: Location %q: %v", r.header.Get("Location"), err)
			}
			wantIDTokenHint(t, c, loc, "alice")
			for _, other := range tc.replay {
				wantUnauthenticated(t, other, stolen)
			}

			// The browser follows the redirect: the provider accepts the hint, ends its
			// session, and the next visit needs the password again.
			cctx := endAtProvider(t, ctx, c, loc)
			settleAtSignInForm(t, cctx)
		})
	}
}
