package proxy

import (
	"encoding/json"

	"github.com/ssogate/ssogate/internal/csrf"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSessionsAdminCookieStore: with the cookie store, GET /oidc/sessions tells an
// administrator that no list exists, members are refused, and POST
// /oidc/sessions/revoke puts a subject on the revocation list: that user's cookie
// stops working at once, with an audit line naming who revoked whom.
func TestSessionsAdminCookieStore(t *testing.T) {
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false)})
	alice, bob := f.browser(), f.browser()
	alice.signInAs("alice", "/") // role admin
	bob.signInAs("bob", "/")     // role member

	resp, body := alice.api(f.url("/oidc/sessions"))
	var list sessionsJSON
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || list.CSRFToken == "" {
		t.Fatalf("admin GET /oidc/sessions: %d %s; want 200 with a CSRF token", resp.StatusCode, body)
	}
	if list.Store != "cookie" || list.Listable || !strings.Contains(list.Note, "no list") {
		t.Errorf("cookie-store listing = %+v, want store cookie, not listable, a note saying why", list)
	}
	if resp, _ := bob.api(f.url("/oidc/sessions")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member GET /oidc/sessions: %d, want 403", resp.StatusCode)
	}
	if resp, body := alice.navigate(f.url("/oidc/sessions")); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sign out everywhere") {
		t.Errorf("admin navigates to /oidc/sessions: %d, want the page with the sign-out form\n%s", resp.StatusCode, body)
	}

	resp, body = bob.api(f.url("/oidc/userinfo"))
	var who struct {
		Sub string `json:"sub"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &who) != nil || who.Sub == "" {
		t.Fatalf("bob's userinfo: %d %s", resp.StatusCode, body)
	}
	// Without the form's token (a cross-site form, a script that did not read the
	// page) the revocation is refused.
	forged := alice.request(http.MethodPost, f.url("/oidc/sessions/revoke"), "application/json", strings.NewReader(url.Values{"user": {who.Sub}}.Encode()))
	forged.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := alice.do(forged); resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin POST without the CSRF token: %d %s, want 403", resp.StatusCode, body)
	}
	if resp, _ := bob.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusOK {
		t.Fatalf("bob signed out by a refused revocation: %d", resp.StatusCode)
	}
	form := url.Values{"user": {who.Sub}, "csrf_token": {list.CSRFToken}}
	req := bob.request(http.MethodPost, f.url("/oidc/sessions/revoke"), "application/json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := bob.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member POST /oidc/sessions/revoke: %d, want 403", resp.StatusCode)
	}
	req = alice.request(http.MethodPost, f.url("/oidc/sessions/revoke"), "application/json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body = alice.do(req)
	var out revokeJSON
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || !out.Revoked {
		t.Fatalf("admin POST /oidc/sessions/revoke: %d %s; want 200 with revoked true", resp.StatusCode, body)
	}
	if resp, _ := bob.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bob's userinfo after the revocation: %d, want 401", resp.StatusCode)
	}
	if resp, _ := alice.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusOK {
		t.Errorf("alice's userinfo after bob's revocation: %d, want 200", resp.StatusCode)
	}
	f.logs.waitFor(t, "sessions revoked", func(m map[string]any) bool {
		return m["audit"] == true && m["admin"] == "alice" && m["user"] == who.Sub
	})
}
