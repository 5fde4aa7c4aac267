package testenv

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Sign-in without a browser: a script's HTTP client walks the test providers' pages
// (oidc-provider's login page, internal/testidp's login and form_post pages) as a user
// agent without JavaScript would.

// AcceptHTML is what a browser sends when it navigates.
const AcceptHTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// NewClient returns a script's HTTP client with its own cookie jar and a 20-second
// timeout. With follow false it returns each redirect instead of following it.
func NewClient(t testing.TB, follow bool) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// Fetch sends a browser's request with c, a GET of rawURL or, when form is not nil, a
// POST of form, with Accept: AcceptHTML and then header's fields under exactly the names
// given (so header may replace Accept). It returns the response with its body read.
func Fetch(t testing.TB, c *http.Client, rawURL string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", AcceptHTML)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, rawURL, err)
	}
	return resp, string(data)
}

var (
	formActionRE = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
)

// ParseForm returns the action and the hidden fields of the first form on page, such as
// a provider's login page or its form_post page, or fails the test if there is none.
func ParseForm(t testing.TB, page string) (action string, fields url.Values) {
	t.Helper()
	action, fields, ok := FindForm(page)
	if !ok {
		t.Fatalf("no form on the page %q", page)
	}
	return action, fields
}

// FindForm returns the action and the hidden fields of the first form on page; ok is
// false when there is none. Scripts outside tests (bench/cmd/signin) use it too.
func FindForm(page string) (action string, fields url.Values, ok bool) {
	m := formActionRE.FindStringSubmatch(page)
	if m == nil {
		return "", nil, false
	}
	fields = url.Values{}
	for _, in := range hiddenRE.FindAllStringSubmatch(page, -1) {
		fields.Add(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), fields, true
}

// ProviderLogin navigates c to startURL, which must lead (through the redirects c
// follows) to the login page of the oidc-provider from StartOIDCProvider, submits user's
// credentials (the password is the user name, as in DefaultUsers) and returns the page
// the redirects c follows end on.
func ProviderLogin(t testing.TB, c *http.Client, startURL, user string) (*http.Response, string) {
	t.Helper()
	resp, body := Fetch(t, c, startURL, nil, nil)
	m := formActionRE.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(m[1], "/interaction/") {
		t.Fatalf("GET %s: got %d at %s, want the provider's login page; body %q", startURL, resp.StatusCode, resp.Request.URL, body)
	}
	creds := url.Values{"prompt": {"login"}, "login": {user}, "password": {user}}
	return Fetch(t, c, html.UnescapeString(m[1]), creds, nil)
}

// TestIdPLogin navigates c to authURL, which must lead (through the redirects c follows)
// to the login page of internal/testidp, submits it with username, password and action
// ("login" or "cancel") and returns the answer: with a client that follows no redirects,
// a 302 to the redirect URI or the form_post page (see ParseForm).
func TestIdPLogin(t testing.TB, c *http.Client, authURL, username, password, action string) (*http.Response, string) {
	t.Helper()
	resp, page := Fetch(t, c, authURL, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d at %s, want 200 with the IdP's login page; body %q", authURL, resp.StatusCode, resp.Request.URL, page)
	}
	target, fields := ParseForm(t, page)
	fields.Set("username", username)
	fields.Set("password", password)
	fields.Set("action", action)
	return Fetch(t, c, target, fields, nil)
}
