package csrf

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// issue returns a token and its cookie from a GET, as a browser would receive them.
func issue(t *testing.T, p *Protector) (string, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	tok := p.Token(rec, httptest.NewRequest(http.MethodGet, "http://gw.example/oidc/settings", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Token set %d cookies, want 1", len(cookies))
	}
	return tok, cookies[0]
}

// post builds a form POST to the gateway with the given token field and headers.
func post(field string, cookie *http.Cookie, headers map[string]string) *http.Request {
	form := url.Values{}
	if field != "" {
		form.Set(FieldName, field)
	}
	r := httptest.NewRequest(http.MethodPost, "http://gw.example/oidc/settings", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestCheck(t *testing.T) {
	p := New(false)
	tok, cookie := issue(t, p)
	_, other := issue(t, p)
	sameSite := map[string]string{"Sec-Fetch-Site": "same-origin"}
	tests := []struct {
		name string
		req  *http.Request
		want error
	}{
		{"good request", post(tok, cookie, sameSite), nil},
		{"good request from a browser without Sec-Fetch-Site", post(tok, cookie, map[string]string{"Origin": "http://gw.example"}), nil},
		{"good request without browser headers", post(tok, cookie, nil), nil},
		{"GET needs no token", httptest.NewRequest(http.MethodGet, "http://gw.example/oidc/settings", nil), nil},
		{"missing field", post("", cookie, sameSite), ErrMissingToken},
		{"missing cookie", post(tok, nil, sameSite), ErrMissingToken},
		{"malformed cookie", post("abc", &http.Cookie{Name: cookie.Name, Value: "abc"}, sameSite), ErrMissingToken},
		{"wrong token", post(tok, other, sameSite), ErrBadToken},
		// The origin is the router's layer to judge (package proxy); the token is judged alone.
		{"cross-site request without the token", post("", cookie, map[string]string{"Sec-Fetch-Site": "cross-site"}), ErrMissingToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.req)
			if tt.want == nil && err != nil {
				t.Fatalf("Check: got %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Check: got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTokenCookie(t *testing.T) {
	tests := []struct {
		secure   bool
		wantName string
	}{
		{false, "ssogate_csrf"},
		{true, "__Host-ssogate_csrf"},
	}
	for _, tt := range tests {
		t.Run(tt.wantName, func(t *testing.T) {
			p := New(tt.secure)
			tok, c := issue(t, p)
			if c.Name != tt.wantName || p.CookieName() != tt.wantName {
				t.Errorf("cookie name: got %q (CookieName %q), want %q", c.Name, p.CookieName(), tt.wantName)
			}
			if c.Value != tok {
				t.Errorf("cookie value: got %q, want the token %q", c.Value, tok)
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tt.secure || c.Domain != "" {
				t.Errorf("cookie attributes: got HttpOnly=%v SameSite=%v Path=%q Secure=%v Domain=%q, want true Strict / %v \"\"",
					c.HttpOnly, c.SameSite, c.Path, c.Secure, c.Domain, tt.secure)
			}
			if len(tok) < 43 {
				t.Errorf("token length: got %d, want at least 43", len(tok))
			}
		})
	}
}

func TestTokenReusesCookie(t *testing.T) {
	p := New(false)
	tok, cookie := issue(t, p)
	r := httptest.NewRequest(http.MethodGet, "http://gw.example/oidc/settings", nil)
	r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	rec := httptest.NewRecorder()
	if got := p.Token(rec, r); got != tok {
		t.Errorf("Token with cookie: got %q, want the cookie's %q", got, tok)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Set-Cookie with a valid cookie: got %q, want none", got)
	}
	if fresh, _ := issue(t, p); fresh == tok {
		t.Errorf("two fresh tokens are equal: %q", fresh)
	}
}
