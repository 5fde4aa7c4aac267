package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// acceptHTML is what a browser sends when it navigates.
const acceptHTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// browser is a client with a cookie jar that shows each redirect instead of following it.
type browser struct {
	t   testing.TB
	f   *fixture
	jar *cookiejar.Jar
	c   *http.Client
}

func (f *fixture) browser() *browser {
	f.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &browser{t: f.t, f: f, jar: jar, c: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends req and returns the response with its body read.
func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, string(body)
}

// request builds a request to rawURL (a gateway path when it starts with "/").
func (b *browser) request(method, rawURL, accept string, body io.Reader) *http.Request {
	b.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = b.f.url(rawURL)
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req
}

// navigate is a browser's GET of rawURL.
func (b *browser) navigate(rawURL string) (*http.Response, string) {
	b.t.Helper()
	return b.do(b.request(http.MethodGet, rawURL, acceptHTML, nil))
}

// api is a script's GET of rawURL, asking for JSON.
func (b *browser) api(rawURL string) (*http.Response, string) {
	b.t.Helper()
	return b.do(b.request(http.MethodGet, rawURL, "application/json", nil))
}

// startLogin navigates to path, which must redirect to the IdP, and returns the IdP URL.
func (b *browser) startLogin(path string) string {
	b.t.Helper()
	resp, body := b.navigate(path)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, b.f.idp.Issuer()+"/authorize?") {
		b.t.Fatalf("GET %s: got %d Location %q, want 302 to the IdP's authorize endpoint; body %q", path, resp.StatusCode, loc, body)
	}
	return loc
}

// callback is the IdP's answer on its way back to the gateway: a form_post (implicit)
// or a GET of the redirect URI (pkce).
type callback struct {
	method string
	url    string
	form   url.Values // form_post only
}

// send delivers the callback to the gateway from b.
func (b *browser) send(cb callback) (*http.Response, string) {
	b.t.Helper()
	return b.do(b.callbackRequest(cb))
}

// callbackRequest is the request that delivers cb.
func (b *browser) callbackRequest(cb callback) *http.Request {
	b.t.Helper()
	if cb.method == http.MethodPost {
		req := b.request(http.MethodPost, cb.url, acceptHTML, strings.NewReader(cb.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	return b.request(http.MethodGet, cb.url, acceptHTML, nil)
}

// idpLogin signs in at the IdP's login page for authURL and returns the callback the
// IdP sends the browser to, without delivering it.
func (b *browser) idpLogin(authURL, user, password string) callback {
	b.t.Helper()
	resp, page := testenv.TestIdPLogin(b.t, b.c, authURL, user, password, "login")
	switch resp.StatusCode {
	case http.StatusOK: // form_post page
		action, form := testenv.ParseForm(b.t, page)
		return callback{method: http.MethodPost, url: action, form: form}
	case http.StatusFound:
		return callback{method: http.MethodGet, url: resp.Header.Get("Location")}
	}
	b.t.Fatalf("IdP login: got %d, want 200 (form_post) or 302; body %q", resp.StatusCode, page)
	return callback{}
}

// signIn signs in as alice through /oidc/login?rd=rd and returns the final Location.
func (b *browser) signIn(rd string) string {
	b.t.Helper()
	return b.signInAs("alice", rd)
}

// signInAs signs in as the demo user (whose password is the user name) through
// /oidc/login?rd=rd and returns the final Location.
func (b *browser) signInAs(user, rd string) string {
	b.t.Helper()
	cb := b.idpLogin(b.startLogin("/oidc/login?rd="+url.QueryEscape(rd)), user, user)
	resp, body := b.send(cb)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("callback: got %d, want 303; body %q", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// cookies returns the gateway's cookies in b's jar, by name.
func (b *browser) cookies() map[string]string {
	out := map[string]string{}
	for _, c := range b.jar.Cookies(mustParse(b.t, b.f.srv.URL)) {
		out[c.Name] = c.Value
	}
	return out
}

// decodeJSON decodes a JSON object body into string fields.
func decodeJSON(t testing.TB, body string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object of strings: %v", body, err)
	}
	return m
}
