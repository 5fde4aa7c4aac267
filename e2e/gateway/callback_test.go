package gateway

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// startLogin begins a sign-in with c (which must not follow redirects) and returns the
// state the gateway sent to the provider.
func startLogin(t *testing.T, s *stack, c *http.Client, rd string) string {
	t.Helper()
	resp, body := testenv.Fetch(t, c, s.gw.URL+"/oidc/login?rd="+url.QueryEscape(rd), nil, nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), s.idp.Issuer+"/auth?") {
		t.Fatalf("GET /oidc/login: got %d Location %q, want 302 to the provider; body %q", resp.StatusCode, loc, body)
	}
	return loc.Query().Get("state")
}

// checkRefused asserts a 4xx error page with a request ID, no internals, and the
// audit line of a failed sign-in with reason.
func checkRefused(t *testing.T, s *stack, resp *http.Response, body string, wantStatus int, reason string) {
	t.Helper()
	rid := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != wantStatus {
		t.Errorf("got status %d, want %d; body %q", resp.StatusCode, wantStatus, body)
	}
	if rid == "" || !strings.Contains(body, "Request ID: <code>"+rid+"</code>") {
		t.Errorf("the error page does not show the request ID %q: %q", rid, body)
	}
	for _, internal := range []string{"goroutine", "panic", ".go:", "oidcflow"} {
		if strings.Contains(body, internal) {
			t.Errorf("the error page shows internals (%q): %q", internal, body)
		}
	}
	rec := s.gw.WaitRecord(t, "sign-in failed", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "request_id") == rid })
	if rec["audit"] != true || testenv.Str(rec, "reason") != reason {
		t.Errorf("audit line = %v; want audit true and reason %q", rec, reason)
	}
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.ImplicitClient("legacy", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "legacy"})
	callback := s.gw.URL + "/oidc/callback"

	t.Run("ForgedState", func(t *testing.T) {
		victim, attacker := testenv.NewClient(t, false), testenv.NewClient(t, false)
		realState := startLogin(t, s, victim, "/")
		startLogin(t, s, attacker, "/")
		for _, tc := range []struct {
			name string
			c    *http.Client
			form url.Values // POST when set
			get  string     // query of a GET otherwise
		}{
			{"wrong state by form_post", victim, url.Values{"id_token": {"eyJhbGciOiJub25lIn0.e30."}, "state": {"forged"}}, ""},
			{"wrong state by GET", victim, nil, "code=abc&state=forged"},
			{"no state", victim, url.Values{"id_token": {"eyJhbGciOiJub25lIn0.e30."}}, ""},
			{"another browser's state", attacker, url.Values{"id_token": {"eyJhbGciOiJub25lIn0.e30."}, "state": {realState}}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				target := callback
				if tc.form == nil {
					target += "?" + tc.get
				}
				resp, body := testenv.Fetch(t, tc.c, target, tc.form, nil)
				checkRefused(t, s, resp, body, http.StatusBadRequest, "state_mismatch")
			})
		}
	})

	t.Run("IdPError", func(t *testing.T) {
		c := testenv.NewClient(t, false)
		state := startLogin(t, s, c, "/reports/q3")
		const description = "The user cancelled the sign-in at the provider"
		q := url.Values{"error": {"access_denied"}, "error_description": {description}, "state": {state}}
		resp, body := testenv.Fetch(t, c, callback+"?"+q.Encode(), nil, nil)
		checkRefused(t, s, resp, body, http.StatusBadRequest, "idp_access_denied")
		for _, want := range []string{description, "access_denied", `href="/oidc/login?rd=%2freports%2fq3"`, "Start again", "<h1>Sign-in was cancelled</h1>"} {
			if !strings.Contains(strings.ToLower(body), strings.ToLower(want)) {
				t.Errorf("the error page lacks %q: %q", want, body)
			}
		}
		// Plain words first; the IdP's code and description in small print below.
		if h1, code := strings.Index(body, "<h1>"), strings.Index(body, "<code>access_denied</code>"); code < h1 ||
			!strings.Contains(body, `<p class="fine">`) {
			t.Errorf("the IdP's code should follow the plain-words heading, in small print: %q", body)
		}
		// The same response again: its login state is spent.
		resp, body = testenv.Fetch(t, c, callback+"?"+q.Encode(), nil, nil)
		checkRefused(t, s, resp, body, http.StatusBadRequest, "state_mismatch")
	})

	// Anyone can send a victim to the callback with their own error_description:
	// without the state of a sign-in that browser started, none of it is shown.
	t.Run("UnsolicitedErrorDescription", func(t *testing.T) {
		c := testenv.NewClient(t, false)
		startLogin(t, s, c, "/")
		const lure = "Your account is locked. Call +1-555-0100 to unlock it"
		for _, q := range []url.Values{
			{"error": {"access_denied"}, "error_description": {lure}},
			{"error": {"access_denied"}, "error_description": {lure}, "state": {"forged"}},
			{"error": {lure}, "error_description": {lure}},
		} {
			resp, body := testenv.Fetch(t, c, callback+"?"+q.Encode(), nil, nil)
			checkRefused(t, s, resp, body, http.StatusBadRequest, "state_mismatch")
			if strings.Contains(body, "locked") || strings.Contains(body, "555-0100") {
				t.Errorf("%v: the error page shows the attacker's text: %q", q, body)
			}
		}
	})

	t.Run("ReplayedFormPost", func(t *testing.T) {
		c := testenv.NewClient(t, true)
		_, page := testenv.ProviderLogin(t, c, s.gw.URL+"/replay/me", "bob")
		action, form := testenv.ParseForm(t, page)
		if action != s.gw.Env["PUBLIC_URL"]+"/oidc/callback" || form.Get("id_token") == "" || form.Get("state") == "" {
			t.Fatalf("form_post page: action %q, fields %v; want the gateway's callback with id_token and state", action, form)
		}
		var loginCookie *http.Cookie
		for _, ck := range c.Jar.Cookies(mustURL(t, s.gw.URL)) {
			if strings.HasPrefix(ck.Name, "ssogate_login_") {
				loginCookie = ck
			}
		}
		if loginCookie == nil {
			t.Fatalf("no login-state cookie in the jar before the callback")
		}
		noFollow := &http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, body := testenv.Fetch(t, noFollow, callback, form, nil)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/replay/me" {
			t.Fatalf("first callback: got %d Location %q, want 303 to /replay/me; body %q", resp.StatusCode, loc, html.UnescapeString(body))
		}
		// Replayed by the same browser: its login cookie was spent.
		resp, body = testenv.Fetch(t, noFollow, callback, form, nil)
		checkRefused(t, s, resp, body, http.StatusBadRequest, "state_mismatch")
		// Replayed by someone who captured the body and the login cookie as well.
		thief := testenv.NewClient(t, false)
		header := http.Header{"Cookie": {loginCookie.Name + "=" + loginCookie.Value}}
		resp, body = testenv.Fetch(t, thief, callback, form, header)
		checkRefused(t, s, resp, body, http.StatusBadRequest, "replayed")
		if _, ok := sessionCookie(thief, s.gw.URL); ok {
			t.Errorf("the replayed callback gave the thief a session cookie")
		}
		n := 0
		for _, rec := range testenv.RecordsWithMsg(s.gw.Logs(), "sign-in succeeded") {
			if testenv.Str(rec, "user") == "bob" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d sign-in succeeded lines for bob, want 1", n)
		}
	})
}

// sessionCookie returns the gateway's session cookie in c's jar.
func sessionCookie(c *http.Client, gatewayURL string) (*http.Cookie, bool) {
	u, _ := url.Parse(gatewayURL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ssogate" || strings.HasPrefix(ck.Name, "ssogate_") && !strings.HasPrefix(ck.Name, "ssogate_login_") {
			return ck, true
		}
	}
	return nil, false
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
