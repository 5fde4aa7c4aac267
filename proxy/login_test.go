package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/oidcflow"
)

var methods = []string{oidcflow.MethodImplicit, oidcflow.MethodPKCE}

// cookieSet returns the cookie named name that resp sets, or nil.
func cookieSet(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// loginCookies returns the login-state cookies in b's jar as a Cookie header.
func (b *browser) loginCookies() (string, int) {
	var parts []string
	for name, v := range b.cookies() {
		if strings.HasPrefix(name, loginCookiePrefix) {
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, "; "), len(parts)
}

func TestLogout(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn("/")
	if resp, body := b.api("/api/runs"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: got %d, want 200; body %q", resp.StatusCode, body)
	}

	before := b.cookies() // a copy of the session cookie, as a thief would keep it

	resp, body := b.navigate("/logout")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("/logout: got %d, want 302 to the IdP; body %q", resp.StatusCode, body)
	}
	loc := mustParse(t, resp.Header.Get("Location"))
	q := loc.Query()
	if got, want := loc.Scheme+"://"+loc.Host+loc.Path, f.idp.Issuer()+"/logout"; got != want {
		t.Errorf("logout redirect: got %q, want the IdP's end_session endpoint %q", got, want)
	}
	// The cookie store kept the ID token in its /logout-only hint cookie.
	for k, want := range map[string]string{"client_id": "", "post_logout_redirect_uri": f.url("/")} {
		if got := q.Get(k); got != want {
			t.Errorf("logout redirect %s: got %q, want %q", k, got, want)
		}
	}
	if hint := q.Get("id_token_hint"); strings.Count(hint, ".") != 2 {
		t.Errorf("logout redirect id_token_hint: got %q, want the ID token", hint)
	}
	if c := cookieSet(resp, "ssogate-logout"); c == nil || c.MaxAge >= 0 || c.Path != "/logout" {
		t.Errorf("logout-hint cookie on /logout: got %+v, want it expired at Path=/logout", c)
	}
	if c := cookieSet(resp, f.store.CookieName()); c == nil || c.MaxAge >= 0 {
		t.Errorf("session cookie on /logout: got %+v, want it expired", c)
	}
	if recs := f.logs.records(t, "signed out"); len(recs) != 1 || recs[0]["user"] != "alice" || recs[0]["audit"] != true {
		t.Errorf("audit %q: got %v, want one line for alice", "signed out", recs)
	}
	if got := f.asserter.forgottenCount(); got != 1 {
		t.Errorf("assertions forgotten: got %d, want 1", got)
	}

	// The IdP accepts the request and sends the browser back to the gateway.
	resp, body = b.navigate(loc.String())
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != f.url("/") {
		t.Errorf("IdP end session: got %d Location %q, want 302 to %q; body %q", resp.StatusCode, got, f.url("/"), body)
	}
	if resp, body := b.api("/api/runs"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: got %d, want 401; body %q", resp.StatusCode, body)
	}
	// The copy of the cookie taken before logout is refused too: the session is revoked.
	thief := f.browser()
	var jar []*http.Cookie
	for name, v := range before {
		jar = append(jar, &http.Cookie{Name: name, Value: v})
	}
	thief.jar.SetCookies(mustParse(t, f.srv.URL), jar)
	if resp, body := thief.api("/api/runs"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replaying the cookie captured before logout: got %d, want 401; body %q", resp.StatusCode, body)
	}

	// Without a session /logout shows the signed-out page: no redirect, no loop.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		resp, body = b.do(b.request(method, "/logout", acceptHTML, nil))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(body, "/oidc/login") {
			t.Errorf("%s /logout without a session: got %d Location %q, want 200 signed-out page linking /oidc/login; body %q",
				method, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	if got := len(f.logs.records(t, "signed out")); got != 1 {
		t.Errorf("audit %q after logouts without a session: got %d lines, want still 1", "signed out", got)
	}
}

func TestTwoTabsSignInAtOnce(t *testing.T) {
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{method: method})
			b := f.browser()
			authA := b.startLogin("/oidc/login?rd=%2Fa")
			authB := b.startLogin("/oidc/login?rd=%2Fb")
			if _, n := b.loginCookies(); n != 2 {
				t.Fatalf("login cookies after two logins: got %d, want 2 (%v)", n, b.cookies())
			}
			for _, tab := range []struct{ auth, want string }{{authB, "/b"}, {authA, "/a"}} {
				resp, body := b.send(b.idpLogin(tab.auth, "alice", "alice"))
				if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tab.want {
					t.Errorf("tab returning to %s: got %d Location %q, want 303 %s; body %q", tab.want, resp.StatusCode, got, tab.want, body)
				}
			}
			if _, n := b.loginCookies(); n != 0 {
				t.Errorf("login cookies after both sign-ins: got %d, want 0", n)
			}
			if resp, body := b.api("/oidc/userinfo"); resp.StatusCode != http.StatusOK {
				t.Errorf("signed in: got %d, want 200; body %q", resp.StatusCode, body)
			}
		})
	}
}

func TestCallbackReplayIsRefused(t *testing.T) {
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{method: method})
			b := f.browser()
			cb := b.idpLogin(b.startLogin("/oidc/login?rd=%2Fa"), "alice", "alice")
			loginCookie, _ := b.loginCookies()
			if resp, body := b.send(cb); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first callback: got %d, want 303; body %q", resp.StatusCode, body)
			}
			failedBefore := len(f.logs.records(t, "sign-in failed"))

			// An attacker who captured the response and the login cookie too.
			attacker := f.browser()
			stolen := attacker.callbackRequest(cb)
			stolen.Header.Set("Cookie", loginCookie)
			for _, tc := range []struct {
				name string
				from *browser
				req  *http.Request
			}{
				{"same browser", b, b.callbackRequest(cb)}, // its login cookie is spent
				{"with the login cookie", attacker, stolen},
			} {
				name := tc.name
				resp, body := tc.from.do(tc.req)
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("%s: replayed callback got %d, want 400; body %q", name, resp.StatusCode, body)
				}
				if c := cookieSet(resp, f.store.CookieName()); c != nil && c.MaxAge >= 0 {
					t.Errorf("%s: replayed callback set a session cookie %+v", name, c)
				}
				if rid := resp.Header.Get("X-Request-Id"); !strings.Contains(body, rid) {
					t.Errorf("%s: error page does not show request ID %q", name, rid)
				}
			}
			fails := f.logs.records(t, "sign-in failed")[failedBefore:]
			var reasons []string
			for _, r := range fails {
				reasons = append(reasons, r["reason"].(string))
			}
			// The guard sees only verified responses: with pkce the IdP refuses the
			// spent code first (invalid_grant); with form_post the ID token verifies
			// again and the guard refuses it.
			replayed := "replayed"
			if method == oidcflow.MethodPKCE {
				replayed = "idp_invalid_grant"
			}
			if len(reasons) != 2 || !strings.Contains(strings.Join(reasons, ","), replayed) {
				t.Errorf("sign-in failed reasons: got %v, want two, one of them %s", reasons, replayed)
			}
		})
	}
}

func TestReplayGuardIsBounded(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rg := newReplayGuard(func() time.Time { return now }, 3)
	for i := range 3 {
		if err := rg.consume(fmt.Sprintf("state-%d", i), now.Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("state-%d: %v", i, err)
		}
	}
	if err := rg.consume("state-0", now.Add(time.Hour)); !errors.Is(err, errReplayed) {
		t.Errorf("state-0 again: %v, want errReplayed", err)
	}
	if err := rg.consume("state-3", now.Add(time.Hour)); !errors.Is(err, errReplayGuardFull) {
		t.Errorf("a fourth state with three remembered: %v, want errReplayGuardFull", err)
	}
	now = now.Add(90 * time.Second) // state-0 expired; the next prune forgets it
	if err := rg.consume("state-3", now.Add(time.Hour)); err != nil {
		t.Errorf("a fourth state after one expired: %v, want accepted", err)
	}
	if err := rg.consume("state-1", now.Add(time.Hour)); !errors.Is(err, errReplayed) {
		t.Errorf("state-1, still unexpired, again: %v, want errReplayed", err)
	}
}

// TestFullReplayGuardRefusesSignInsWith503: a flood of callbacks that fills the
// guard makes further sign-ins wait (503, Retry-After), never a session without the
// single-use check, and says why in the audit log.
func TestFullReplayGuardRefusesSignInsWith503(t *testing.T) {
	f := newFixture(t, fixtureOptions{method: methods[0]})
	f.gw.states = newReplayGuard(f.gw.opts.Now, 0)
	b := f.browser()
	resp, body := b.send(b.idpLogin(b.startLogin("/oidc/login?rd=%2Fa"), "alice", "alice"))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("callback with a full replay guard: %d, Retry-After %q; want 503 with Retry-After; body %q",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if c := cookieSet(resp, f.store.CookieName()); c != nil && c.MaxAge >= 0 {
		t.Errorf("callback with a full replay guard set a session cookie %+v", c)
	}
	fails := f.logs.records(t, "sign-in failed")
	if len(fails) != 1 || !strings.Contains(fails[0]["error"].(string), "replay guard is full") {
		t.Errorf("sign-in failed lines: %v, want one naming the full replay guard", fails)
	}
}
