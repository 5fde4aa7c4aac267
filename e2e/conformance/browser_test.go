package conformance

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// callback is the IdP's answer on its way back to the gateway, as the browser is
// about to send it: a GET of url (code flow) or a POST of form to url (form_post).
type callback struct {
	url  string
	form url.Values // nil in the code flow
}

// send delivers the callback with c and returns the gateway's answer.
func (cb callback) send(t *testing.T, c *http.Client, header http.Header) (*http.Response, string) {
	t.Helper()
	return testenv.Fetch(t, c, cb.url, cb.form, header)
}

// withState returns the callback with its state replaced.
func (cb callback) withState(t *testing.T, state string) callback {
	t.Helper()
	if cb.form != nil {
		form := url.Values{}
		for k, v := range cb.form {
			form[k] = v
		}
		form.Set("state", state)
		return callback{url: cb.url, form: form}
	}
	u, err := url.Parse(cb.url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return callback{url: u.String()}
}

// browser is a user agent without JavaScript: a cookie jar, no redirects followed.
func browser(t *testing.T) *http.Client { return testenv.NewClient(t, false) }

// startSignIn takes c from GET /oidc/login?rd=/app through the IdP's login form as
// the demo user and returns the callback the IdP sent back, not yet delivered. It
// checks the authorization request the gateway made: state, nonce (both flows), and
// PKCE S256 or form_post.
func (s *suite) startSignIn(t *testing.T, gw *testenv.Gateway, c *http.Client) callback {
	t.Helper()
	resp, body := testenv.Fetch(t, c, gw.URL+"/oidc/login?rd=/app", nil, nil)
	auth, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(auth.String(), s.idp.Issuer()+"/authorize?") {
		t.Fatalf("GET /oidc/login: got %d to %q, want 302 to the IdP's authorize endpoint; body %q", resp.StatusCode, auth, body)
	}
	q := auth.Query()
	want := map[string]string{"response_type": "code", "code_challenge_method": "S256"}
	if gw == s.formPost {
		want = map[string]string{"response_type": "id_token", "response_mode": "form_post"}
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorization request: %s=%q, want %q (%s)", k, q.Get(k), v, auth)
		}
	}
	if q.Get("state") == "" || q.Get("nonce") == "" {
		t.Errorf("authorization request without state or nonce: %s", auth)
	}
	resp, page := testenv.TestIdPLogin(t, c, auth.String(), user, user, "login")
	if gw == s.formPost {
		action, fields := testenv.ParseForm(t, page)
		if resp.StatusCode != http.StatusOK || action != gw.URL+"/oidc/callback" {
			t.Fatalf("the IdP's form_post page: status %d, action %q; want 200 and %s/oidc/callback", resp.StatusCode, action, gw.URL)
		}
		return callback{url: action, form: fields}
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, gw.URL+"/oidc/callback?") {
		t.Fatalf("the IdP's answer: status %d to %q; want 302 to %s/oidc/callback", resp.StatusCode, loc, gw.URL)
	}
	return callback{url: loc}
}

// loginCookie returns the Cookie header of the login-state cookie c holds for gw.
func loginCookie(t *testing.T, c *http.Client, gw *testenv.Gateway) string {
	t.Helper()
	u, _ := url.Parse(gw.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, "ssogate_login_") {
			return ck.Name + "=" + ck.Value
		}
	}
	t.Fatalf("no login-state cookie for %s before the callback", gw.URL)
	return ""
}

// sessionCookieRE matches the gateway's session cookie and its chunks (ssogate,
// ssogate_1, …), not the login-state cookies.
var sessionCookieRE = regexp.MustCompile(`^ssogate(_[0-9]+)?$`)

// sessionSet reports whether resp sets a session cookie or c holds one for gw.
func sessionSet(resp *http.Response, c *http.Client, gw *testenv.Gateway) bool {
	for _, ck := range resp.Cookies() {
		if sessionCookieRE.MatchString(ck.Name) && ck.Value != "" && ck.MaxAge >= 0 {
			return true
		}
	}
	u, _ := url.Parse(gw.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if sessionCookieRE.MatchString(ck.Name) {
			return true
		}
	}
	return false
}

// app GETs /app as an API client with c's cookies and returns the status and body.
func app(t *testing.T, c *http.Client, gw *testenv.Gateway) (int, string) {
	t.Helper()
	resp, body := testenv.Fetch(t, c, gw.URL+"/app", nil, http.Header{"Accept": {"application/json"}})
	return resp.StatusCode, body
}
