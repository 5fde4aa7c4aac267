package interop

import (
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// hydraLogoutEnd is where a browser ends after Hydra completed a logout: the last
// response, and when Hydra rendered its front-channel logout page, the page's iframe
// URLs and where it sends the browser next.
type hydraLogoutEnd struct {
	resp     *http.Response
	body     string
	iframes  []string
	redirect string
}

var (
	hydraIframe  = regexp.MustCompile(`<iframe src="([^"]+)"`)
	hydraRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="7; URL=([^"]+)">`)
)

// followHydraLogout opens u (Hydra's end-session endpoint) with the browser-like client
// c and follows Hydra, our app's logout page (which accepts) and Hydra's completion.
// When Hydra renders its front-channel logout page, it returns the page's iframes
// without loading them.
func followHydraLogout(t *testing.T, h *hydra, c *http.Client, u string) hydraLogoutEnd {
	t.Helper()
	resp, body := testenv.Fetch(t, c, u, nil, nil)
	end := hydraLogoutEnd{resp: resp, body: body}
	if !strings.HasPrefix(resp.Request.URL.String(), h.issuer) {
		return end
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Hydra's logout: %d at %s\n%s\n--- Hydra log ---\n%s", resp.StatusCode, resp.Request.URL, body, h.proc.Logs())
	}
	for _, m := range hydraIframe.FindAllStringSubmatch(body, -1) {
		end.iframes = append(end.iframes, html.UnescapeString(m[1]))
	}
	if m := hydraRefresh.FindStringSubmatch(body); m != nil {
		end.redirect = html.UnescapeString(m[1])
	}
	if len(end.iframes) == 0 || end.redirect == "" {
		t.Fatalf("Hydra's page at %s is not its front-channel logout page\n%s", resp.Request.URL, body)
	}
	return end
}

// copyCookies returns a client whose jar holds copies of the cookies c has for
// rawURL whose names keep says, as a browser's copied cookie store would.
func copyCookies(t *testing.T, c *http.Client, rawURL string, keep func(name string) bool) *http.Client {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	var kept []*http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if keep(ck.Name) {
			kept = append(kept, &http.Cookie{Name: ck.Name, Value: ck.Value, Path: "/"})
		}
	}
	jar.SetCookies(u, kept)
	return &http.Client{Jar: jar, Timeout: c.Timeout}
}

// isHydraCookie reports whether name is one of Hydra's cookies (its login session
// and CSRF cookies); the gateway, Hydra and our app share the host 127.0.0.1.
func isHydraCookie(name string) bool { return strings.HasPrefix(name, "ory_hydra_") }

// lastLogin returns the last login request our app saw.
func lastLogin(t *testing.T, h *hydra) hydraLoginRequest {
	t.Helper()
	lrs := h.app.loginRequests()
	if len(lrs) == 0 {
		t.Fatal("our login app saw no login request")
	}
	return lrs[len(lrs)-1]
}

// TestHydraRPInitiatedLogout: with both session stores, /logout ends the session
// (a copy of its cookie taken before gets 401) and sends the browser to Hydra's
// end-session endpoint with id_token_hint and post_logout_redirect_uri. Hydra refuses
// the same request without id_token_hint (its error page) and accepts it with one; our
// app accepts the logout of that sid, Hydra's front-channel page (loaded as a browser
// would) returns the browser to the gateway's signed-out page, and Hydra's own login
// session is gone: the next sign-in shows the password form again (the login request
// is not skip), where before the logout Hydra remembered the login.
func TestHydraRPInitiatedLogout(t *testing.T) {
	h := startHydra(t)
	bothStores(t, func(t *testing.T, env map[string]string) {
		gw, cs := hydraGateway(t, h, hydraClientOptions{backchannel: "gateway", frontchannel: true}, hydraConfidential, env)
		c := testenv.NewClient(t, true)
		wantIdentity(t, formSignInWith(t, c, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
		if lr := lastLogin(t, h); lr.Skip {
			t.Fatalf("the first sign-in's login request was skip: %+v", lr)
		}
		// Hydra remembers the login: a browser with only Hydra's cookies signs in at once.
		other := copyCookies(t, c, h.issuer, isHydraCookie)
		other.CheckRedirect = c.CheckRedirect
		if resp, body := testenv.Fetch(t, other, gw.URL+"/app", nil, nil); resp.StatusCode != http.StatusOK || !lastLogin(t, h).Skip {
			t.Fatalf("a second sign-in with Hydra's session: %d at %s, login request %+v; want the upstream at once (skip)\n%s",
				resp.StatusCode, resp.Request.URL, lastLogin(t, h), body)
		}
		wantHintRequired(t, h, gw, cs.confidential)
		wantHydraRPLogout(t, h, gw, c, cs.confidential)
	})
}

// wantHintRequired checks that Hydra refuses an RP-initiated logout that names the
// client and the gateway's post_logout_redirect_uri but has no id_token_hint (what the
// gateway used to send with the cookie store): Hydra sends the browser to its error
// page, not back to the gateway, and keeps its login session.
func wantHintRequired(t *testing.T, h *hydra, gw *testenv.Gateway, client string) {
	t.Helper()
	q := url.Values{"client_id": {client}, "post_logout_redirect_uri": {gw.URL + "/"}}
	resp, body := testenv.Fetch(t, testenv.NewClient(t, false), h.issuer+"oauth2/sessions/logout?"+q.Encode(), nil, nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), h.issuer+"oauth2/fallbacks/error?") ||
		loc.Query().Get("error") != "invalid_request" || !strings.Contains(loc.Query().Get("error_description"), "id_token_hint is missing") {
		t.Errorf("Hydra's answer to a logout without id_token_hint: %d to %q, want 302 to its error page (invalid_request, id_token_hint is missing)\n%s",
			resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// wantHydraRPLogout signs the browser c out of gw with GET /logout and checks the
// RP-initiated logout at Hydra: the redirect carries an id_token_hint for client
// (with Hydra's sid) and the post-logout redirect URI; Hydra accepts both and logs out
// that sid; after Hydra's front-channel page (loaded as a browser would) the browser
// ends on the gateway's signed-out page; the session and a copy of its cookie taken
// before get 401; and Hydra's login session is gone: the next visit shows our app's
// password form (a login request that is not skip). It returns the hint's claims.
func wantHydraRPLogout(t *testing.T, h *hydra, gw *testenv.Gateway, c *http.Client, client string) map[string]any {
	t.Helper()
	before := copyCookies(t, c, gw.URL, func(string) bool { return true })

	loc, claims := startRPLogout(t, gw, c, h.issuer+"oauth2/sessions/logout?")
	sid, _ := claims["sid"].(string)
	if claims["sub"] != hydraSubject || sid == "" || !audienceHas(claims["aud"], client) {
		t.Errorf("id_token_hint: sub %v, sid %v, aud %v; want %s, a sid, %s", claims["sub"], claims["sid"], claims["aud"], hydraSubject, client)
	}

	end := followHydraLogout(t, h, c, loc.String())
	if lrs := h.app.logoutRequests(); len(lrs) == 0 || !lrs[len(lrs)-1].RPInitiated || lrs[len(lrs)-1].SID != sid {
		t.Errorf("our app's logout requests %+v: want the last RP-initiated, for sid %s", lrs, sid)
	}
	for _, f := range end.iframes { // as a browser loads Hydra's page
		testenv.Fetch(t, c, f, nil, nil)
	}
	if end.redirect != "" {
		end.resp, end.body = testenv.Fetch(t, c, end.redirect, nil, nil)
	}
	if end.resp.Request.URL.String() != gw.URL+"/oidc/signed-out" && !strings.HasPrefix(end.resp.Request.URL.String(), gw.URL+"/oidc/signed-out?") {
		t.Errorf("back from Hydra, the browser ends at %s, want the gateway's signed-out page\n%s", end.resp.Request.URL, end.body)
	}
	if status, _ := fetchApp(t, c, gw); status != http.StatusUnauthorized {
		t.Errorf("after /logout the session still works: status %d, want 401", status)
	}
	if status, _ := fetchApp(t, before, gw); status != http.StatusUnauthorized {
		t.Errorf("a copy of the session cookie taken before /logout: status %d, want 401", status)
	}
	resp, page := testenv.Fetch(t, c, gw.URL+"/app", nil, nil)
	if !strings.HasPrefix(resp.Request.URL.String(), h.app.URL+"/login") || !strings.Contains(page, `name="password"`) || lastLogin(t, h).Skip {
		t.Errorf("the next visit ends at %s (login request %+v), want our app's password form: Hydra's session must be gone\n%s",
			resp.Request.URL, lastLogin(t, h), page)
	}
	return claims
}

// audienceHas reports whether an aud claim (a string or a list) names id.
func audienceHas(aud any, id string) bool {
	switch a := aud.(type) {
	case string:
		return a == id
	case []any:
		return slices.Contains(a, any(id))
	}
	return false
}
