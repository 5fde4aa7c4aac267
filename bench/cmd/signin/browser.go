package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// maxSteps bounds the redirects and forms of one sign-in.
const maxSteps = 10

// browser knows where a sign-in starts and which cookie ends it.
type browser struct {
	start      string // URL that starts a sign-in
	gateway    *url.URL
	cookieName string // the session cookie's name; chunks are cookieName_0, _1, …
	user       string
	transport  *http.Transport
}

func newBrowser(kind, gateway, user string, idle int) (*browser, error) {
	gw, err := url.Parse(gateway)
	if err != nil || gw.Host == "" {
		return nil, fmt.Errorf("-gateway %q must be an absolute URL", gateway)
	}
	b := &browser{gateway: gw, user: user, transport: &http.Transport{
		MaxIdleConns: idle, MaxIdleConnsPerHost: idle, IdleConnTimeout: 30 * time.Second,
	}}
	switch kind {
	case "ssogate":
		b.start, b.cookieName = gateway+"/oidc/login?rd=%2F", "ssogate"
	case "oauth2-proxy":
		b.start, b.cookieName = gateway+"/oauth2/start?rd=%2F", "_oauth2_proxy"
	default:
		return nil, fmt.Errorf("-kind %q: want ssogate or oauth2-proxy", kind)
	}
	return b, nil
}

// signIn performs one sign-in in a new browser and returns its session cookies as a
// Cookie header value.
func (b *browser) signIn(ctx context.Context) (string, error) {
	jar, _ := cookiejar.New(nil) // never fails without options
	client := &http.Client{
		Transport:     b.transport,
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.start, nil)
	if err != nil {
		return "", err
	}
	for step := 1; step <= maxSteps; step++ {
		req.Header.Set("Accept", "text/html")
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("step %d %s %s: %w", step, req.Method, req.URL.Path, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("step %d %s %s: reading the body: %w", step, req.Method, req.URL.Path, err)
		}
		if resp.Request.URL.Host == b.gateway.Host && b.setsSession(resp) {
			return b.cookieHeader(jar)
		}
		if req, err = b.next(ctx, resp, body); err != nil {
			return "", fmt.Errorf("step %d %s %s: %w", step, resp.Request.Method, resp.Request.URL.Path, err)
		}
	}
	return "", fmt.Errorf("no session cookie after %d steps", maxSteps)
}

// next is the request a browser makes after resp: follow a redirect, or submit the
// page's form (the IdP's login form with the user's credentials, or a form_post page).
func (b *browser) next(ctx context.Context, resp *http.Response, body []byte) (*http.Request, error) {
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		loc, err := resp.Location()
		if err != nil {
			return nil, fmt.Errorf("redirect %d without a Location", resp.StatusCode)
		}
		return http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	case resp.StatusCode == http.StatusOK:
		action, form, ok := testenv.FindForm(string(body))
		if !ok {
			return nil, fmt.Errorf("status 200 without a form: %.200q", body)
		}
		if strings.Contains(string(body), `name="username"`) {
			form.Set("username", b.user)
			form.Set("password", b.user)
			form.Set("action", "login")
		}
		target, err := resp.Request.URL.Parse(action)
		if err != nil {
			return nil, fmt.Errorf("form action %q: %w", action, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}
	return nil, fmt.Errorf("status %d: %.300q", resp.StatusCode, body)
}

// setsSession reports whether resp sets the session cookie (or its first chunk).
func (b *browser) setsSession(resp *http.Response) bool {
	for _, c := range resp.Cookies() {
		if (c.Name == b.cookieName || c.Name == b.cookieName+"_0") && c.MaxAge >= 0 && c.Value != "" {
			return true
		}
	}
	return false
}

// cookieHeader returns the jar's session cookies for the gateway as a Cookie header value.
func (b *browser) cookieHeader(jar http.CookieJar) (string, error) {
	var parts []string
	for _, c := range jar.Cookies(b.gateway) {
		if b.isSessionCookie(c.Name) {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("the gateway set no %s cookie the browser would send back", b.cookieName)
	}
	return strings.Join(parts, "; "), nil
}

func (b *browser) isSessionCookie(name string) bool {
	if name == b.cookieName {
		return true
	}
	rest, ok := strings.CutPrefix(name, b.cookieName+"_")
	if !ok || rest == "" {
		return false
	}
	return strings.Trim(rest, "0123456789") == ""
}
