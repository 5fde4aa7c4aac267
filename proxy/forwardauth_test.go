package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestUserinfo(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	resp, body := b.api("/oidc/userinfo")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a session: got %d, want 401; body %q", resp.StatusCode, body)
	}
	if got := decodeJSON(t, body); got["error"] != "unauthenticated" || !strings.HasPrefix(got["login_url"], f.url("/oidc/login")) {
		t.Errorf("without a session: body %v, want error unauthenticated and login_url", got)
	}

	b.signIn("/")
	resp, body = b.api("/oidc/userinfo")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("signed in: got %d Cache-Control %q, want 200 no-store; body %q", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	var got struct {
		Sub      string   `json:"sub"`
		Username string   `json:"preferred_username"`
		Email    string   `json:"email"`
		Groups   []string `json:"groups"`
		Role     string   `json:"role"`
		Allowed  bool     `json:"allowed"`
		Expires  int64    `json:"session_expires_at"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if got.Sub != "3f6c1e2a-alice" || got.Username != "alice" || got.Email != "alice@example.com" || got.Role != "admin" ||
		!slices.Equal(got.Groups, []string{"wandb-admins", "ml-team"}) || !got.Allowed {
		t.Errorf("userinfo: got %+v, want alice, admin, groups wandb-admins and ml-team, allowed", got)
	}
	if exp := time.Unix(got.Expires, 0); exp.Before(time.Now().Add(719 * time.Hour)) {
		t.Errorf("session_expires_at: got %v, want about 720h from now", exp)
	}
}

func TestForwardAuth(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	alice := f.browser()
	alice.signIn("/")
	req := alice.request(http.MethodGet, "/oidc/auth", "", nil)
	for k, v := range spoofedHeaders {
		req.Header[k] = []string{v}
	}
	resp, body := alice.do(req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: got %d, want 200; body %q", resp.StatusCode, body)
	}
	for k, want := range map[string]string{
		HeaderUser: "alice", HeaderEmail: "alice@example.com", HeaderGroups: "wandb-admins,ml-team",
		HeaderRole: "admin", HeaderAssertion: "test-assertion.alice", "Cache-Control": "no-store",
	} {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("response header %s: got %q, want [%q]", k, got, want)
		}
	}
	// The client's copies reached the auth check: the warning tells the operator the
	// ingress must replace them, and names none of their values.
	warned := f.logs.records(t, spoofedMessage)
	if len(warned) != 1 || warned[0]["hint"] != spoofHintForwardAuth || strings.Contains(fmt.Sprint(warned[0]), "mallory") {
		t.Errorf("%q lines: %v, want one with the forward-auth hint and no header values", spoofedMessage, warned)
	}

	anon := f.browser()
	for _, tc := range []struct {
		name, path, accept string
		want               int
	}{
		{"API", "/oidc/auth", "application/json", http.StatusUnauthorized},
		{"browser without redirect", "/oidc/auth", acceptHTML, http.StatusUnauthorized},
		{"browser with redirect=true", "/oidc/auth?redirect=true", acceptHTML, http.StatusFound},
	} {
		resp, body := anon.do(anon.request(http.MethodGet, tc.path, tc.accept, nil))
		if resp.StatusCode != tc.want {
			t.Errorf("%s: got %d, want %d; body %q", tc.name, resp.StatusCode, tc.want, body)
		}
		if resp.Header.Get(HeaderUser) != "" {
			t.Errorf("%s: response carries %s %q without a session", tc.name, HeaderUser, resp.Header.Get(HeaderUser))
		}
		if tc.want == http.StatusFound && !strings.HasPrefix(resp.Header.Get("Location"), f.idp.Issuer()+"/authorize?") {
			t.Errorf("%s: Location got %q, want the IdP", tc.name, resp.Header.Get("Location"))
		}
	}
}

// forwarded are an ingress's X-Forwarded-* headers for a request to app.example.com.
func forwarded(host, uri string) map[string]string {
	return map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": host, "X-Forwarded-Uri": uri, "X-Forwarded-For": "203.0.113.66"}
}

func TestForwardedHeadersFromUntrustedPeerCannotSteerReturn(t *testing.T) {
	elsewhere := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	allowed := []string{".example.com"}
	for _, tc := range []struct {
		name      string
		trusted   []netip.Prefix
		publicURL string
		headers   map[string]string
		wantLogin func(f *fixture) string // the 401's login_url
		refused   string                  // the reason logged for the return URL; "": none
	}{
		{"untrusted, allowed host", elsewhere, "", forwarded("app.example.com", "/steal"),
			func(f *fixture) string { return f.url("/oidc/login?rd=%2F") }, ""},
		{"untrusted, evil host", elsewhere, "", forwarded("evil.com", "/steal"),
			func(f *fixture) string { return f.url("/oidc/login?rd=%2F") }, ""},
		{"trusted, allowed host", loopback, "", forwarded("app.example.com", "/runs?x=1"),
			func(*fixture) string {
				return "https://app.example.com/oidc/login?rd=" + url.QueryEscape("https://app.example.com/runs?x=1")
			}, ""},
		// Without PUBLIC_URL the trusted ingress names the public host, so the return
		// URL on that host is same-origin; with PUBLIC_URL it is not.
		{"trusted, other host, no PUBLIC_URL", loopback, "", forwarded("evil.com", "/steal"),
			func(*fixture) string {
				return "https://evil.com/oidc/login?rd=" + url.QueryEscape("https://evil.com/steal")
			}, ""},
		{"trusted, evil host, PUBLIC_URL", loopback, "https://gw.example.com", forwarded("evil.com", "/steal"),
			func(*fixture) string { return "https://gw.example.com/oidc/login?rd=%2F" }, returnHostNotListed},
		{"trusted, allowed host, PUBLIC_URL", loopback, "https://gw.example.com", forwarded("app.example.com", "/x"),
			func(*fixture) string {
				return "https://gw.example.com/oidc/login?rd=" + url.QueryEscape("https://app.example.com/x")
			}, ""},
		{"trusted, protocol-relative uri", loopback, "", map[string]string{"X-Forwarded-Uri": "//evil.com/x"},
			func(f *fixture) string { return f.url("/oidc/login?rd=%2F") }, returnOtherOrigin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{trusted: tc.trusted, publicURL: tc.publicURL, allowedRedirectDomains: allowed})
			b := f.browser()
			req := b.request(http.MethodGet, "/oidc/auth", "", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, body := b.do(req)
			if got, want := decodeJSON(t, body)["login_url"], tc.wantLogin(f); resp.StatusCode != http.StatusUnauthorized || got != want {
				t.Errorf("got %d login_url %q, want 401 login_url %q", resp.StatusCode, got, want)
			}
			refusals := f.logs.records(t, returnRefusedMessage)
			switch {
			case tc.refused == "" && len(refusals) != 0:
				t.Errorf("a return URL refusal was logged: %v", refusals)
			case tc.refused != "" && (len(refusals) != 1 || refusals[0]["reason"] != tc.refused || refusals[0]["source"] != "ingress"):
				t.Errorf("return URL refusals logged: %v, want one from the ingress with reason %s", refusals, tc.refused)
			case tc.refused == returnHostNotListed && !strings.Contains(fmt.Sprint(refusals[0]["fix"]), "ALLOWED_REDIRECT_DOMAINS"):
				t.Errorf("the refusal does not say how to allow the host: %v", refusals[0])
			}
			if slices.Equal(tc.trusted, loopback) {
				return
			}
			// From an untrusted peer the headers change nothing: the IdP gets our own
			// callback and the sign-in returns to "/".
			req = b.request(http.MethodGet, "/oidc/auth?redirect=true", acceptHTML, nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, body = b.do(req)
			loc := mustParse(t, resp.Header.Get("Location"))
			if got := loc.Query().Get("redirect_uri"); resp.StatusCode != http.StatusFound || got != f.url("/oidc/callback") {
				t.Fatalf("redirect=true: got %d redirect_uri %q, want 302 with %q; body %q", resp.StatusCode, got, f.url("/oidc/callback"), body)
			}
			resp, body = b.send(b.idpLogin(loc.String(), "alice", "alice"))
			if got := resp.Header.Get("Location"); got != "/" {
				t.Errorf("after sign-in: Location got %q, want /; status %d body %q", got, resp.StatusCode, body)
			}
			// Proxied requests do not pass the client's forwarding claims on either.
			req = b.request(http.MethodGet, "/api/runs", "", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			e := decodeEcho(t, mustBody(b.do(req)))
			host := mustParse(t, f.srv.URL).Host
			for k, want := range map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": host, "X-Forwarded-Proto": "http"} {
				if got := e.Header.Get(k); got != want {
					t.Errorf("upstream %s: got %q, want %q", k, got, want)
				}
			}
		})
	}
}

func mustBody(_ *http.Response, body string) string { return body }
