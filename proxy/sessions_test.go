package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/session"
)

// TestSessionsAdminCookieStore: with the cookie store, GET /oidc/sessions tells an
// administrator that no list exists, members are refused, and POST
// /oidc/sessions/revoke puts the user on the revocation list by subject, username
// (exactly) or email (in any case): that user's cookies stop working at once, other
// users' do not, and an audit line names who revoked whom.
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
	for _, page := range []string{"0", "-1", "x", "1000001", "9223372036854775807", "99999999999999999999"} {
		if resp, body := alice.api(f.url("/oidc/sessions?page=" + page)); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "bad_page") {
			t.Errorf("admin GET /oidc/sessions?page=%s: %d %s, want 400 bad_page", page, resp.StatusCode, body)
		}
	}
	if resp, _ := alice.api(f.url("/oidc/sessions?page=2")); resp.StatusCode != http.StatusOK {
		t.Errorf("admin GET /oidc/sessions?page=2: %d, want 200", resp.StatusCode)
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
	// A revoke form over its limit is refused as too large, unread.
	huge := url.Values{"user": {who.Sub}, "csrf_token": {list.CSRFToken}, "pad": {strings.Repeat("x", revokeFormBytes)}}
	big := alice.request(http.MethodPost, f.url("/oidc/sessions/revoke"), "application/json", strings.NewReader(huge.Encode()))
	big.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := alice.do(big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("admin POST of a %d-byte revoke form: %d %s, want 413", len(huge.Encode()), resp.StatusCode, body)
	}
	form := url.Values{"user": {who.Sub}, "csrf_token": {list.CSRFToken}}
	req := bob.request(http.MethodPost, f.url("/oidc/sessions/revoke"), "application/json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := bob.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member POST /oidc/sessions/revoke: %d, want 403", resp.StatusCode)
	}
	revoke := func(user string) revokeJSON { t.Helper(); return adminRevoke(t, f, alice, list.CSRFToken, user) }
	// Near misses sign nobody out: a username in another case, part of an email.
	for _, user := range []string{"Bob", "bob@example", "example.com"} {
		revoke(user)
		if resp, _ := bob.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusOK {
			t.Fatalf("bob's userinfo after revoking %q: %d, want 200", user, resp.StatusCode)
		}
	}
	for _, tc := range []struct{ by, user string }{
		{"sub", who.Sub}, {"username", "bob"}, {"email", "bob@example.com"}, {"email in another case", "BOB@Example.COM"},
	} {
		t.Run(tc.by, func(t *testing.T) {
			bob := f.browser() // signed in after the revocations before
			bob.signInAs("bob", "/")
			if resp, _ := bob.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusOK {
				t.Fatalf("bob's userinfo before the revocation: %d, want 200", resp.StatusCode)
			}
			out := revoke(tc.user)
			if !slices.Contains(out.RevokedAs, "username") || !slices.Contains(out.RevokedAs, "email") || !slices.Contains(out.RevokedAs, "sub") {
				t.Errorf("revoked_as = %q, want sub, username and email", out.RevokedAs)
			}
			if resp, _ := bob.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("bob's userinfo after revoking %q: %d, want 401", tc.user, resp.StatusCode)
			}
			if resp, _ := alice.api(f.url("/oidc/userinfo")); resp.StatusCode != http.StatusOK {
				t.Errorf("alice's userinfo after bob's revocation: %d, want 200", resp.StatusCode)
			}
			f.logs.waitFor(t, "sessions revoked", func(m map[string]any) bool {
				return m["audit"] == true && m["admin"] == "alice" && m["user"] == tc.user
			})
		})
	}
}

// adminRevoke posts the sign-out form for user as admin with csrfToken and returns
// the JSON answer, failing the test unless it is 200 with revoked true.
func adminRevoke(t *testing.T, f *fixture, admin *browser, csrfToken, user string) revokeJSON {
	t.Helper()
	form := url.Values{"user": {user}, "csrf_token": {csrfToken}}
	req := admin.request(http.MethodPost, f.url("/oidc/sessions/revoke"), "application/json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := admin.do(req)
	var out revokeJSON
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || !out.Revoked {
		t.Fatalf("admin POST /oidc/sessions/revoke user=%q: %d %s; want 200 with revoked true", user, resp.StatusCode, body)
	}
	return out
}

// TestRevokeByEmailRefusesBearerTokens: signing a user out everywhere by email
// (cookie store) also refuses that user's bearer tokens issued before, as a logout
// does; another user's token still works.
func TestRevokeByEmailRefusesBearerTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false)})
	alice := f.browser()
	alice.signInAs("alice", "/")
	resp, body := alice.api(f.url("/oidc/sessions"))
	var list sessionsJSON
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || list.CSRFToken == "" {
		t.Fatalf("admin GET /oidc/sessions: %d %s; want 200 with a CSRF token", resp.StatusCode, body)
	}
	b := f.browser()
	bob, jisoo := b.idToken("bob"), b.idToken("jisoo")
	status := b.bearerStatus
	if got := status(bob); got != http.StatusOK {
		t.Fatalf("bob's bearer token before the revocation: %d, want 200", got)
	}
	adminRevoke(t, f, alice, list.CSRFToken, "Bob@Example.COM")
	if got := status(bob); got != http.StatusUnauthorized {
		t.Errorf("bob's bearer token after revoking his email: %d, want 401", got)
	}
	if got := status(jisoo); got != http.StatusOK {
		t.Errorf("jisoo's bearer token after bob's revocation: %d, want 200", got)
	}
	f.logs.waitFor(t, "credentials refused", func(m map[string]any) bool { return m["reason"] == "revoked_bearer_token" })
}

// listingSessions stands in for the Redis store's listing: SignOutUser reports one
// session of the user it is asked for, ended.
type listingSessions struct{ ServerSessions }

func (listingSessions) List(context.Context, int, int) ([]session.Listed, int64, error) {
	return nil, 0, nil
}

func (listingSessions) SignOutUser(_ context.Context, who string) ([]session.Listed, int, error) {
	return []session.Listed{{Subject: who}}, 1, nil
}

// TestSignOutEverywhereWithAServerStoreRefusesBearerTokens: with a store that lists
// and deletes sessions (Redis), signing a user out everywhere also puts them on the
// revocation list, so their bearer tokens issued before stop working too.
func TestSignOutEverywhereWithAServerStoreRefusesBearerTokens(t *testing.T) {
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false), server: listingSessions{}})
	alice := f.browser()
	alice.signInAs("alice", "/")
	resp, body := alice.api(f.url("/oidc/sessions"))
	var list sessionsJSON
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || list.CSRFToken == "" || !list.Listable {
		t.Fatalf("admin GET /oidc/sessions: %d %s; want 200, listable, with a CSRF token", resp.StatusCode, body)
	}
	b := f.browser()
	bob := b.idToken("bob")
	status := b.bearerStatus
	if got := status(bob); got != http.StatusOK {
		t.Fatalf("bob's bearer token before the revocation: %d, want 200", got)
	}
	out := adminRevoke(t, f, alice, list.CSRFToken, "bob@example.com")
	if out.SessionsEnded != 1 {
		t.Errorf("sessions_ended = %d, want the store's 1", out.SessionsEnded)
	}
	if got := status(bob); got != http.StatusUnauthorized {
		t.Errorf("bob's bearer token after signing him out everywhere: %d, want 401", got)
	}
}

// idToken signs user in at the IdP (password = user name) and returns the ID token
// the IdP posts back, without handing it to the gateway.
func (b *browser) idToken(user string) string {
	b.t.Helper()
	return b.idpLogin(b.startLogin("/oidc/login"), user, user).form.Get("id_token")
}

// bearerStatus is the status of an API request with tok as its Bearer token.
func (b *browser) bearerStatus(tok string) int {
	b.t.Helper()
	req := b.request(http.MethodGet, "/api/runs", "application/json", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, _ := b.do(req)
	return resp.StatusCode
}
