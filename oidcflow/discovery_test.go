package oidcflow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestDiscover(t *testing.T) {
	const entraHost = "login.microsoftonline.com"
	type answer struct {
		status int
		body   func(base string) any // a string is sent as is, anything else as JSON
	}
	doc := func(issuer func(base string) string, drop ...string) func(string) any {
		return func(base string) any {
			d := discoveryDoc(base, issuer(base))
			for _, k := range drop {
				delete(d, k)
			}
			return d
		}
	}
	at := func(suffix string) func(string) string { return func(base string) string { return base + suffix } }
	for _, tc := range []struct {
		name       string
		host       string
		configured string // appended to the IdP's base URL
		answer     answer
		wantIssuer string   // appended to the base URL; checked on success
		wantErr    []string // substrings of the error; none means success
		mismatch   bool     // the error is an *IssuerMismatchError
	}{
		{name: "exact", answer: answer{200, doc(at(""))}},
		{name: "path issuer", configured: "/realms/acme", answer: answer{200, doc(at("/realms/acme"))}, wantIssuer: "/realms/acme"},
		{name: "configured with trailing slash", configured: "/", answer: answer{200, doc(at(""))}},
		{name: "discovered with trailing slash", answer: answer{200, doc(at("/"))}, wantIssuer: "/"},
		{name: "other issuer", answer: answer{200, doc(func(string) string { return "https://idp.example.com" })},
			mismatch: true, wantErr: []string{"OIDC_ISSUER", `set OIDC_ISSUER to exactly "https://idp.example.com"`}},
		{name: "other path", configured: "/oauth2/default", answer: answer{200, doc(at("/oauth2/other"))},
			mismatch: true, wantErr: []string{"OIDC_ISSUER", "/oauth2/other"}},
		{name: "entra common", host: entraHost, configured: "/common/v2.0",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, wantIssuer: "/{tenantid}/v2.0"},
		{name: "entra organizations", host: entraHost, configured: "/organizations/v2.0",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, wantIssuer: "/{tenantid}/v2.0"},
		{name: "entra single tenant gets template", host: entraHost, configured: "/0b1e2f7a-1111-2222-3333-444455556666/v2.0",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, mismatch: true, wantErr: []string{"OIDC_ISSUER"}},
		{name: "entra common on any host (custom domain, loopback)", configured: "/common/v2.0",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, wantIssuer: "/{tenantid}/v2.0"},
		{name: "entra consumers, US government cloud", host: "login.microsoftonline.us", configured: "/consumers/v2.0",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, wantIssuer: "/{tenantid}/v2.0"},
		{name: "entra organizations, China cloud", host: "login.partner.microsoftonline.cn", configured: "/organizations/v2.0",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, wantIssuer: "/{tenantid}/v2.0"},
		{name: "common not as the tenant segment", configured: "/v2.0/common",
			answer: answer{200, doc(at("/{tenantid}/v2.0"))}, mismatch: true, wantErr: []string{"OIDC_ISSUER"}},
		{name: "missing jwks_uri", answer: answer{200, doc(at(""), "jwks_uri")}, wantErr: []string{"missing jwks_uri"}},
		{name: "missing both endpoints", answer: answer{200, doc(at(""), "jwks_uri", "authorization_endpoint")},
			wantErr: []string{"missing authorization_endpoint, jwks_uri"}},
		{name: "not found", answer: answer{404, func(string) any { return "no such realm" }},
			wantErr: []string{"HTTP 404", "no such realm", "/.well-known/openid-configuration"}},
		{name: "server error", answer: answer{502, func(string) any { return "bad gateway" }}, wantErr: []string{"HTTP 502"}},
		{name: "not JSON", answer: answer{200, func(string) any { return "<html>sign in</html>" }},
			wantErr: []string{"not a JSON discovery document"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp := startFakeIdP(t, tc.host, func(f *fakeIdP) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					want := strings.TrimSuffix(mustURL(t, f.base+tc.configured).Path, "/") + "/.well-known/openid-configuration"
					if r.URL.Path != want {
						http.Error(w, "asked for "+r.URL.Path+", want "+want, http.StatusTeapot)
						return
					}
					body := tc.answer.body(f.base)
					if s, ok := body.(string); ok {
						w.WriteHeader(tc.answer.status)
						_, _ = w.Write([]byte(s))
						return
					}
					serveJSON(w, body)
				})
			})
			d, err := Discover(context.Background(), idp.client, idp.base+tc.configured)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Discover: %v", err)
				}
				if want := idp.base + tc.wantIssuer; d.Issuer != want {
					t.Errorf("Issuer = %q, want %q", d.Issuer, want)
				}
				if want := idp.base + "/jwks"; d.JWKSURI != want {
					t.Errorf("JWKSURI = %q, want %q", d.JWKSURI, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Discover succeeded, want an error containing %q", tc.wantErr)
			}
			var me *IssuerMismatchError
			if got := errors.As(err, &me); got != tc.mismatch {
				t.Errorf("error %v: is *IssuerMismatchError = %v, want %v", err, got, tc.mismatch)
			}
			if me != nil && me.Configured != idp.base+tc.configured {
				t.Errorf("IssuerMismatchError.Configured = %q, want %q", me.Configured, idp.base+tc.configured)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestCheckMethod(t *testing.T) {
	full := Discovery{
		TokenEndpoint:                 "https://idp.example.com/token",
		ResponseTypesSupported:        []string{"code", "id_token", "code id_token"},
		ResponseModesSupported:        []string{"query", "fragment", "form_post"},
		CodeChallengeMethodsSupported: []string{"plain", "S256"},
	}
	with := func(mod func(*Discovery)) Discovery {
		d := full
		mod(&d)
		return d
	}
	for _, tc := range []struct {
		name    string
		method  string
		disc    Discovery
		wantErr string // substring; "" means accepted
	}{
		{"implicit offered", MethodImplicit, full, ""},
		{"implicit without id_token", MethodImplicit, with(func(d *Discovery) { d.ResponseTypesSupported = []string{"code"} }), `response type "id_token"`},
		{"implicit without form_post", MethodImplicit, with(func(d *Discovery) { d.ResponseModesSupported = []string{"query", "fragment"} }), `response mode "form_post"`},
		{"implicit, modes not listed", MethodImplicit, with(func(d *Discovery) { d.ResponseModesSupported = nil }), ""},
		{"implicit, nothing listed", MethodImplicit, Discovery{}, ""},
		{"pkce offered", MethodPKCE, full, ""},
		{"pkce without S256", MethodPKCE, with(func(d *Discovery) { d.CodeChallengeMethodsSupported = []string{"plain"} }), `PKCE method "S256"`},
		{"pkce, challenge methods not listed", MethodPKCE, with(func(d *Discovery) { d.CodeChallengeMethodsSupported = nil }), ""},
		{"pkce without token endpoint", MethodPKCE, with(func(d *Discovery) { d.TokenEndpoint = "" }), "token_endpoint"},
		{"pkce without code", MethodPKCE, with(func(d *Discovery) { d.ResponseTypesSupported = []string{"id_token"} }), `response type "code"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.disc.CheckMethod(tc.method)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckMethod(%s) = %v, want nil", tc.method, err)
				}
				return
			}
			var me *MethodError
			if !errors.As(err, &me) {
				t.Fatalf("CheckMethod(%s) = %v, want a *MethodError", tc.method, err)
			}
			for _, s := range []string{tc.wantErr, "OIDC_AUTH_METHOD=" + tc.method} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
	if err := full.CheckMethod("hybrid"); err == nil {
		t.Errorf("CheckMethod(hybrid) = nil, want an error")
	}
}

func TestSigningAlgsNeverNoneOrHMAC(t *testing.T) {
	for _, tc := range []struct {
		advertised, want []string
	}{
		{[]string{"RS256", "ES256"}, []string{"RS256", "ES256"}},
		{[]string{"HS256", "none", "ES384"}, []string{"ES384"}},
		{[]string{"HS256", "HS512", "none"}, []string{"RS256"}},
		{nil, []string{"RS256"}},
	} {
		d := Discovery{IDTokenSigningAlgValuesSupported: tc.advertised}
		if got := d.signingAlgs(); !slices.Equal(got, tc.want) {
			t.Errorf("signingAlgs(%q) = %q, want %q", tc.advertised, got, tc.want)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
