package proxy

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/csrf"
)

// confirmShownLog is the message of the line about a confirmation page shown.
const confirmShownLog = "sign-out asked by another site: confirmation shown"

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// logoutFrom is a browser's GET /logout (with query) whose Sec-Fetch-Site is site
// ("" sends none).
func (b *browser) logoutFrom(site, query string) (*http.Response, string) {
	b.t.Helper()
	req := b.request(http.MethodGet, "/logout"+query, acceptHTML, nil)
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
	}
	return b.do(req)
}

// signedIn reports whether b's session still works.
func (b *browser) signedIn() bool {
	b.t.Helper()
	resp, _ := b.api("/oidc/userinfo")
	return resp.StatusCode == http.StatusOK
}

// TestCrossSiteLogoutAsksFirst: a signed-in browser that another site (or a sibling
// subdomain) sends to GET /logout sees a page asking whether to sign out, and stays
// signed in; the page's form signs out, and a forged token in it is refused.
func TestCrossSiteLogoutAsksFirst(t *testing.T) {
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false)})
	b := f.browser()
	b.signIn("/")
	var token string
	for _, site := range []string{"cross-site", "same-site"} {
		resp, body := b.logoutFrom(site, "?rd=%2Fruns%2F7")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
			t.Fatalf("%s GET /logout: got %d Location %q, want 200 and the confirmation page", site, resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, want := range []string{"<h1>Do you want to sign out?</h1>", "Another site asked to sign you out",
			"Signed in as <strong>alice</strong>", `<form method="post" action="/logout">`,
			`<input type="hidden" name="rd" value="/runs/7">`, `id="stay" href="/runs/7">Stay signed in</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s GET /logout: page lacks %q", site, want)
			}
		}
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s GET /logout: no csrf_token on the page: %q", site, body)
		}
		token = m[1]
		idp := mustParse(t, f.idp.Issuer())
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+idp.Scheme+"://"+idp.Host+";") {
			t.Errorf("%s GET /logout: Content-Security-Policy %q, want form-action to allow the IdP's origin, where Sign out leads", site, csp)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s GET /logout: Cache-Control %q, want no-store", site, resp.Header.Get("Cache-Control"))
		}
		if !b.signedIn() {
			t.Fatalf("%s GET /logout signed the user out; want the session untouched", site)
		}
	}
	if got := f.logs.records(t, "signed out"); len(got) != 0 {
		t.Errorf("%q lines after the confirmation pages: %v, want none", "signed out", got)
	}
	shown := f.logs.records(t, confirmShownLog)
	if len(shown) != 2 || shown[0]["user"] != "alice" || shown[0]["reason"] != "cross_site" || shown[1]["sec_fetch_site"] != "same-site" {
		t.Errorf("%q lines: %v, want two for alice, reason cross_site, with the Sec-Fetch-Site", confirmShownLog, shown)
	}

	// A return URL to another host is not kept: the page offers the application.
	_, body := b.logoutFrom("cross-site", "?rd=https%3A%2F%2Fevil.example%2F")
	if !strings.Contains(body, `id="stay" href="/">`) || strings.Contains(body, "evil.example") || strings.Contains(body, `name="rd"`) {
		t.Errorf("confirmation page for rd=https://evil.example/: want the stay link to / and no rd; got %q", body)
	}

	sameOrigin := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": f.srv.URL}
	forged := url.Values{"csrf_token": {strings.Repeat("A", 43)}, "rd": {"/runs/7"}}
	if resp, body := b.do(b.postForm("/logout", acceptHTML, forged, sameOrigin)); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Form expired") {
		t.Errorf("POST /logout with a forged token: got %d, want 403 \"Form expired\"; body %q", resp.StatusCode, body)
	}
	if !b.signedIn() {
		t.Fatal("POST /logout with a forged token signed the user out")
	}
	resp, body := b.do(b.postForm("/logout", acceptHTML, url.Values{"csrf_token": {token}, "rd": {"/runs/7"}}, sameOrigin))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.idp.Issuer()+"/logout") {
		t.Fatalf("POST /logout from the confirmation page: got %d Location %q, want 302 to the IdP; body %q", resp.StatusCode, loc, body)
	}
	if b.signedIn() {
		t.Error("still signed in after the confirmation page's Sign out")
	}
	if got := f.logs.records(t, "signed out"); len(got) != 1 {
		t.Errorf("%q lines: got %d, want 1", "signed out", len(got))
	}

	// Signed out, another site's GET /logout has nothing to ask about; a safe rd is kept
	// for Sign in again, any other is dropped.
	for rd, want := range map[string]string{"%2Fruns%2F7": `href="/oidc/login?rd=%2Fruns%2F7">`, "%2F%2Fevil.example": `href="/oidc/login">`} {
		resp, body = b.logoutFrom("cross-site", "?rd="+rd)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "You are signed out") || strings.Contains(body, "Do you want to sign out?") ||
			!strings.Contains(body, want) {
			t.Errorf("cross-site GET /logout?rd=%s without a session: got %d, want the signed-out page with %s; body %q", rd, resp.StatusCode, want, body)
		}
	}
}

// TestOwnOriginLogoutSignsOutAtOnce: GET /logout from the gateway's origin (the
// application's "Log out" link), typed in (Sec-Fetch-Site none) or from a browser
// that sends no Sec-Fetch-Site signs out at once, as does the application's own
// same-origin POST form without a token.
func TestOwnOriginLogoutSignsOutAtOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false)})
	for _, site := range []string{"same-origin", "none", ""} {
		b := f.browser()
		b.signIn("/")
		resp, body := b.logoutFrom(site, "")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.idp.Issuer()+"/logout") {
			t.Errorf("GET /logout, Sec-Fetch-Site %q: got %d Location %q, want 302 to the IdP; body %q", site, resp.StatusCode, loc, body)
		}
		if b.signedIn() {
			t.Errorf("GET /logout, Sec-Fetch-Site %q: still signed in", site)
		}
	}
	b := f.browser()
	b.signIn("/")
	resp, body := b.do(b.postForm("/logout", acceptHTML, url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}))
	if resp.StatusCode != http.StatusFound || b.signedIn() {
		t.Errorf("the application's same-origin POST /logout without a token: got %d, signed in %v; want 302 and signed out; body %q",
			resp.StatusCode, b.signedIn(), body)
	}
	if got := f.logs.records(t, confirmShownLog); len(got) != 0 {
		t.Errorf("%q lines: %v, want none", confirmShownLog, got)
	}
}

// TestCrossSiteFrontChannelLogoutUnchanged: the IdP's front-channel logout
// (GET /logout?iss=…&sid=…, from the IdP's page in an iframe: cross-site) still ends
// the session at once, with no confirmation page.
func TestCrossSiteFrontChannelLogoutUnchanged(t *testing.T) {
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false)})
	b := f.browser()
	b.signIn("/")
	_, body := b.api("/oidc/userinfo")
	var info struct{ SID string }
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.SID == "" {
		t.Fatalf("userinfo: %s; want a sid", body)
	}
	idp := f.browser() // the IdP's iframe carries no gateway cookie here
	q := "?" + url.Values{"iss": {f.idp.Issuer()}, "sid": {info.SID}}.Encode()
	resp, body := idp.logoutFrom("cross-site", q)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "Do you want to sign out?") {
		t.Fatalf("cross-site front-channel GET /logout?sid=: got %d, want 200 without a confirmation; body %q", resp.StatusCode, body)
	}
	if b.signedIn() {
		t.Error("still signed in after the front-channel logout")
	}
}
