package proxy

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// sealedCookie returns the Cookie header a store writes when saving s.
func sealedCookie(t *testing.T, store *session.CookieStore, s *session.Session) string {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	var parts []string
	for _, c := range rec.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func TestTamperedCookieIsNotA5xx(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn("/")
	name := f.store.CookieName()
	valid := b.cookies()[name]
	if valid == "" {
		t.Fatalf("no session cookie %q after sign-in; cookies %v", name, b.cookies())
	}
	flipped := []byte(valid)
	mid := len(flipped) / 2
	flipped[mid] ^= 'A' ^ 'B' // stays in the base64url alphabet
	if flipped[mid] == valid[mid] {
		t.Fatal("flip did not change the cookie")
	}
	garbage := make([]byte, 300)
	_, _ = rand.Read(garbage)

	alice := session.Session{ID: "s1", Identity: claims.Identity{Subject: "sub-alice", Username: "alice", Role: claims.RoleAdmin}}
	foreign := alice
	foreign.ExpiresAt = time.Now().Add(time.Hour)
	past := time.Now().Add(-2 * time.Hour)
	expired := alice
	expired.ExpiresAt = past.Add(time.Hour)
	otherSecret := session.NewCookieStore(session.CookieOptions{Codec: newCodec(t)})
	pastStore := session.NewCookieStore(session.CookieOptions{Codec: f.codec, Now: func() time.Time { return past }})
	// A login-state cookie is sealed by the same codec; it must not pass as a session.
	loginState := f.codec.Seal(session.PurposeLoginState, []byte(`{"id":"s1","identity":{"sub":"x"},"expires_at":"2099-01-01T00:00:00Z"}`))

	for _, tc := range []struct{ name, cookie string }{ // all but "expired" are refused cookies
		{"byte flipped", name + "=" + string(flipped)},
		{"truncated", name + "=" + valid[:len(valid)/2]},
		{"last byte cut", name + "=" + valid[:len(valid)-1]},
		{"random base64", name + "=" + base64.RawURLEncoding.EncodeToString(garbage)},
		{"not base64", name + "=!!not*a*cookie!!"},
		{"empty", name + "="},
		{"bogus chunks", name + "_0=3.abc; " + name + "_1=def"},
		{"chunk count too large", name + "_0=99." + valid},
		{"other secret", sealedCookie(t, otherSecret, &foreign)},
		{"expired", sealedCookie(t, pastStore, &expired)},
		{"login state as session", name + "=" + loginState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warnedBefore := len(f.logs.records(t, cookieRefusedMessage))
			nav := b.request(http.MethodGet, f.url("/runs"), acceptHTML, nil)
			nav.Header.Set("Cookie", tc.cookie)
			resp, body := f.browser().do(nav)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.idp.Issuer()+"/authorize?") {
				t.Errorf("navigation: got %d Location %q, want 302 to the IdP; body %q", resp.StatusCode, loc, body)
			}
			api := b.request(http.MethodGet, f.url("/api/runs"), "application/json", nil)
			api.Header.Set("Cookie", tc.cookie)
			resp, body = f.browser().do(api)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("API: got %d, want 401; body %q", resp.StatusCode, body)
			}
			got := decodeJSON(t, body)
			if got["error"] != "unauthenticated" || !strings.Contains(got["login_url"], "/oidc/login?rd=") {
				t.Errorf("API body: got %v, want error unauthenticated and a login_url", got)
			}
			// Each refused cookie is a warning saying why, without the cookie's value; an
			// expired session is no cause for one.
			warned := f.logs.records(t, cookieRefusedMessage)[warnedBefore:]
			want := 2
			if tc.name == "expired" {
				want = 0
			}
			if len(warned) != want {
				t.Fatalf("%q warnings: got %d, want %d: %v", cookieRefusedMessage, len(warned), want, warned)
			}
			for _, w := range warned {
				_, value, _ := strings.Cut(tc.cookie, "=")
				if w["request_id"] == "" || w["cause"] == "" || w["hint"] == "" || (len(value) > 8 && strings.Contains(fmt.Sprint(w), value)) {
					t.Errorf("warning %v: want a request ID, a cause and a hint, and not the cookie's value", w)
				}
			}
		})
	}
	if got := len(f.logs.records(t, "panic serving request")); got != 0 {
		t.Errorf("panics logged: got %d, want 0", got)
	}
}

func TestUnauthenticatedNavigationRedirectsToIdP(t *testing.T) {
	for _, tc := range []struct {
		method string
		want   map[string]string // authorization request parameters
	}{
		{oidcflow.MethodImplicit, map[string]string{"response_type": "id_token", "response_mode": "form_post"}},
		{oidcflow.MethodPKCE, map[string]string{"response_type": "code", "code_challenge_method": "S256"}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{method: tc.method})
			b := f.browser()
			resp, body := b.navigate("/runs/1?tab=logs")
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("got %d, want 302; body %q", resp.StatusCode, body)
			}
			loc := mustParse(t, resp.Header.Get("Location"))
			q := loc.Query()
			tc.want["client_id"] = testClientID
			tc.want["redirect_uri"] = f.url("/oidc/callback")
			for k, v := range tc.want {
				if got := q.Get(k); got != v {
					t.Errorf("authorize %s: got %q, want %q", k, got, v)
				}
			}
			for _, k := range []string{"state", "nonce", "scope"} {
				if q.Get(k) == "" {
					t.Errorf("authorize %s: missing in %s", k, loc)
				}
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			var login *http.Cookie
			for _, c := range resp.Cookies() {
				if strings.HasPrefix(c.Name, loginCookiePrefix) {
					login = c
				}
			}
			if login == nil || !strings.HasPrefix(q.Get("state"), strings.TrimPrefix(login.Name, loginCookiePrefix)) ||
				!login.HttpOnly || login.MaxAge <= 0 || login.MaxAge > 11*60 {
				t.Fatalf("login-state cookie: got %+v, want an HttpOnly cookie named after state %q, living minutes", login, q.Get("state"))
			}
			// Completing that login returns to the page first asked for.
			cb := b.idpLogin(loc.String(), "alice", "alice")
			resp, body = b.send(cb)
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/runs/1?tab=logs" {
				t.Errorf("callback: got %d Location %q, want 303 to /runs/1?tab=logs; body %q", resp.StatusCode, got, body)
			}
		})
	}
}

func TestUnauthenticatedAPIGets401WithLoginURL(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	const path = "/api/runs/1?tab=logs"
	wantLogin := f.url("/oidc/login?rd=" + url.QueryEscape(path))
	for _, tc := range []struct{ name, method, accept string }{
		{"POST from a page", http.MethodPost, acceptHTML},
		{"PUT from a page", http.MethodPut, acceptHTML},
		{"JSON GET", http.MethodGet, "application/json"},
		{"fetch with */*", http.MethodGet, "*/*"},
		{"curl without Accept", http.MethodGet, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := f.browser()
			resp, body := b.do(b.request(tc.method, path, tc.accept, strings.NewReader("{}")))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %d, want 401; body %q", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			got := decodeJSON(t, body)
			if got["error"] != "unauthenticated" || got["login_url"] != wantLogin {
				t.Errorf("body: got %v, want error unauthenticated, login_url %q", got, wantLogin)
			}
			if c := resp.Header.Get("Set-Cookie"); c != "" {
				t.Errorf("Set-Cookie: got %q, want none (no login was started)", c)
			}
			if f.hits.Load() != 0 {
				t.Errorf("upstream requests: got %d, want 0", f.hits.Load())
			}
		})
	}
	// The login URL works: it leads through sign-in back to the request's path.
	b := f.browser()
	cb := b.idpLogin(b.startLogin(strings.TrimPrefix(wantLogin, f.srv.URL)), "alice", "alice")
	if resp, _ := b.send(cb); resp.Header.Get("Location") != path {
		t.Errorf("after following login_url: Location got %q, want %q", resp.Header.Get("Location"), path)
	}
}

// With form_post the IdP's page POSTs the callback cross-site: over https the login
// cookie must be SameSite=None (a Lax cookie is not sent on that POST), Secure and
// host-only; over plain http SameSite is left to the browser's default.
func TestLoginCookieSurvivesCrossSiteFormPost(t *testing.T) {
	for _, tc := range []struct {
		secure     bool
		wantPrefix string
		wantSite   http.SameSite
	}{
		{true, "__Host-" + loginCookiePrefix, http.SameSiteNoneMode},
		{false, loginCookiePrefix, 0},
	} {
		f := newFixture(t, fixtureOptions{secure: tc.secure, publicURL: "https://gw.example.com"})
		req := httptest.NewRequest(http.MethodGet, "https://gw.example.com/runs", nil)
		req.Header.Set("Accept", acceptHTML)
		rec := httptest.NewRecorder()
		f.gw.ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusFound || len(cookies) != 1 {
			t.Fatalf("secure %v: got %d with cookies %v, want 302 with one login cookie", tc.secure, rec.Code, cookies)
		}
		c := cookies[0]
		if !strings.HasPrefix(c.Name, tc.wantPrefix) || c.SameSite != tc.wantSite || c.Secure != tc.secure ||
			!c.HttpOnly || c.Path != "/" || c.Domain != "" {
			t.Errorf("secure %v: login cookie got %q, want name %s…, SameSite %v, Secure %v, HttpOnly, Path=/, no Domain",
				tc.secure, rec.Header().Get("Set-Cookie"), tc.wantPrefix, tc.wantSite, tc.secure)
		}
		if got := mustParse(t, rec.Header().Get("Location")).Query().Get("redirect_uri"); got != "https://gw.example.com/oidc/callback" {
			t.Errorf("secure %v: redirect_uri got %q, want PUBLIC_URL's callback", tc.secure, got)
		}
	}
}
