package ingress

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// client is a user agent without JavaScript: its own cookie jar, no redirects followed
// unless asked, and optionally a fixed source address on loopback.
type client struct {
	t    *testing.T
	http *http.Client
}

// newClient returns a client whose connections come from localIP (e.g. "127.0.0.2", to
// be a peer ssogate does not trust), or from the default address when localIP is "".
func newClient(t *testing.T, localIP string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if localIP != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	tr := &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, http: &http.Client{
		Jar: jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get sends GET u with the headers, under exactly the names given (X_Auth_Request_User
// stays as it is), and returns the response and its body.
func (c *client) get(u string, headers map[string]string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v}
	}
	return c.do(req)
}

func (c *client) do(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

// signIn completes a sign-in that a 302 to the provider (the gateway's answer in resp)
// started: it follows redirects to the provider's login page, signs in as user
// (password = user name), follows redirects back to ssogate's /oidc/callback and returns
// the callback's answer, whose Location is where the sign-in returns to.
func (c *client) signIn(resp *http.Response, user string) *http.Response {
	c.t.Helper()
	if resp.StatusCode != http.StatusFound {
		c.t.Fatalf("sign-in start: got %d, want 302 to the provider", resp.StatusCode)
	}
	follow := *c.http
	follow.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		if req.Response != nil && req.Response.Request.URL.Path == "/oidc/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	back, page := testenv.ProviderLogin(c.t, &follow, resp.Header.Get("Location"), user)
	if back.Request.URL.Path != "/oidc/callback" || back.StatusCode/100 != 3 {
		c.t.Fatalf("sign-in: ended at %s with %d, want a redirect from ssogate's /oidc/callback; page:\n%s", back.Request.URL, back.StatusCode, page)
	}
	return back
}
