package interop

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestZitadelRefresh: with offline_access the OP issues a refresh token and rotates
// it on every use (the used one is deleted). A pkce session in Redis re-validates every
// REFRESH_INTERVAL: two refreshes in a row succeed (the second spends the token the
// first got) and keep the identity complete (the refreshed ID token carries only sub
// again, so userinfo is read again). When the OP no longer knows the token (restarted
// with empty memory), it refuses the refresh (invalid_grant) and the session ends.
func TestZitadelRefresh(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	rds := testenv.StartRedis(t)
	gw := startGateway(t, gwAddr, z.issuer, map[string]string{"OIDC_CLIENT_ID": zitadelPublicClient, "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": "openid profile email offline_access", "REFRESH_INTERVAL": "1s", "SESSION_STORE": rds.URL()})
	c := testenv.NewClient(t, true)
	wantIdentity(t, formSignInWith(t, c, gw, zitadelLogin), zitadelUser, zitadelEmail, zitadelGroups)
	refreshCase{gw: gw, c: c, user: zitadelUser, email: zitadelEmail, groups: zitadelGroups, issuer: z.issuer,
		forget: func(t *testing.T) { z.proc.Stop(t); z.start(t) }}.run(t)
}

// TestZitadelRPInitiatedLogout: /logout sends the browser to the OP's end_session
// endpoint with id_token_hint and post_logout_redirect_uri, with both session stores;
// the OP accepts both, terminates the user's tokens for the client and returns the
// browser to the gateway; the next visit needs the password again. The example OP
// keeps no login session of its own (every authorization shows its login form), so
// the OP's "session terminated" log line is what shows it ended the session.
func TestZitadelRPInitiatedLogout(t *testing.T) {
	rds := testenv.StartRedis(t)
	cookieAddr, redisAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	z := startZitadel(t, cookieAddr, redisAddr)
	for _, tc := range []struct {
		name, addr string
		env        map[string]string
	}{
		{"cookie store", cookieAddr, map[string]string{}},
		{"redis store", redisAddr, map[string]string{"SESSION_STORE": rds.URL()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["OIDC_CLIENT_ID"], tc.env["OIDC_CLIENT_SECRET"], tc.env["OIDC_AUTH_METHOD"] = zitadelConfClient, zitadelSecret, "pkce"
			gw := startGateway(t, tc.addr, z.issuer, tc.env)
			c := testenv.NewClient(t, true)
			wantIdentity(t, formSignInWith(t, c, gw, zitadelLogin), zitadelUser, zitadelEmail, zitadelGroups)
			terminated := strings.Count(z.proc.Logs(), `msg="session terminated" user=`+zitadelUserID+" client="+zitadelConfClient)

			loc, claims := startRPLogout(t, gw, c, z.issuer+"end_session?")
			if claims["sub"] != zitadelUserID || claims["azp"] != zitadelConfClient {
				t.Errorf("id_token_hint: sub %v, azp %v; want %s, %s", claims["sub"], claims["azp"], zitadelUserID, zitadelConfClient)
			}

			resp, body := testenv.Fetch(t, noRedirects(c), loc.String(), nil, nil)
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != gw.URL+"/" {
				t.Fatalf("the OP's end_session: %d to %q, want 302 to the gateway's %s/ (the OP refuses an id_token_hint or post_logout_redirect_uri it does not accept)\n%s",
					resp.StatusCode, resp.Header.Get("Location"), gw.URL, body)
			}
			if resp, _ = testenv.Fetch(t, c, gw.URL+"/", nil, nil); resp.Request.URL.Path != "/oidc/signed-out" {
				t.Errorf("back from the OP, the browser ends at %s, want the gateway's signed-out page", resp.Request.URL)
			}
			if got := strings.Count(z.proc.Logs(), `msg="session terminated" user=`+zitadelUserID+" client="+zitadelConfClient); got != terminated+1 {
				t.Errorf("the OP logged %d session terminations for this logout, want 1\n--- OP log ---\n%s", got-terminated, z.proc.Logs())
			}
			if status, _ := fetchApp(t, c, gw); status != http.StatusUnauthorized {
				t.Errorf("after /logout the session still works: status %d, want 401", status)
			}
			resp, page := testenv.Fetch(t, c, gw.URL+"/app", nil, nil)
			if !strings.HasPrefix(resp.Request.URL.String(), z.issuer+"login/username") || !strings.Contains(page, `name="password"`) {
				t.Errorf("the next visit ends at %s, want the OP's login form\n%s", resp.Request.URL, page)
			}
		})
	}
}
