package testidp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

func TestDiscoveryDocument(t *testing.T) {
	e := start(t, nil)
	resp, body := get(t, e.srv.Client(), e.p.Issuer()+"/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	iss := e.p.Issuer()
	tests := []struct {
		key  string
		want any
	}{
		{"issuer", iss},
		{"authorization_endpoint", iss + "/authorize"},
		{"token_endpoint", iss + "/token"},
		{"jwks_uri", iss + "/jwks"},
		{"userinfo_endpoint", iss + "/userinfo"},
		{"end_session_endpoint", iss + "/logout"},
		{"response_types_supported", []any{"code", "id_token"}},
		{"response_modes_supported", []any{"query", "fragment", "form_post"}},
		{"grant_types_supported", []any{"authorization_code", "implicit", "refresh_token", "client_credentials"}},
		{"code_challenge_methods_supported", []any{"S256"}},
		{"id_token_signing_alg_values_supported", []any{"RS256"}},
		{"token_endpoint_auth_methods_supported", []any{"client_secret_basic", "client_secret_post", "none"}},
	}
	for _, tt := range tests {
		got, _ := json.Marshal(doc[tt.key])
		want, _ := json.Marshal(tt.want)
		if string(got) != string(want) {
			t.Errorf("%s: got %s, want %s", tt.key, got, want)
		}
	}
	contains := []struct{ key, item string }{
		{"scopes_supported", "openid"},
		{"scopes_supported", "offline_access"},
		{"claims_supported", "groups"},
		{"claims_supported", "sid"},
	}
	for _, tt := range contains {
		if list, _ := doc[tt.key].([]any); !slices.Contains(list, any(tt.item)) {
			t.Errorf("%s: got %v, want it to list %q", tt.key, doc[tt.key], tt.item)
		}
	}
}

func TestDiscoveryOptions(t *testing.T) {
	e := start(t, func(o *Options) {
		o.Alg = "ES256"
		o.ResponseModes = []string{"query"}
		o.DiscoveryHook = func(doc map[string]any) { delete(doc, "end_session_endpoint") }
	})
	_, body := get(t, e.srv.Client(), e.p.Issuer()+"/.well-known/openid-configuration")
	var doc struct {
		Modes      []string `json:"response_modes_supported"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
		EndSession *string  `json:"end_session_endpoint"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(doc.Modes, ","), "query"; got != want {
		t.Errorf("response_modes_supported: got %q, want %q", got, want)
	}
	if got, want := strings.Join(doc.Algs, ","), "ES256"; got != want {
		t.Errorf("id_token_signing_alg_values_supported: got %q, want %q", got, want)
	}
	if doc.EndSession != nil {
		t.Errorf("end_session_endpoint: got %q, want it removed by DiscoveryHook", *doc.EndSession)
	}
}

func TestPathsOutsideIssuerAreNotFound(t *testing.T) {
	e := start(t, nil)
	for _, path := range []string{"/.well-known/openid-configuration", "/jwks", "/idp/nope", "/idpx/jwks"} {
		resp, _ := get(t, e.srv.Client(), e.srv.URL+path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", path, resp.StatusCode)
		}
	}
}

// jwksKids fetches the JWKS and returns its kids in order.
func jwksKids(t *testing.T, e *env) []string {
	t.Helper()
	_, body := get(t, e.srv.Client(), e.p.Issuer()+"/jwks")
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.D != "" {
			t.Fatalf("JWKS publishes private key material for kid %s", k.Kid)
		}
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestRotateKey(t *testing.T) {
	e := start(t, nil)
	_, verifier := e.verifier(t, "gateway")
	oldKid := e.p.KeyID()
	if err := e.p.RotateKey(); err != nil {
		t.Fatal(err)
	}
	newKid := e.p.KeyID()
	if newKid == oldKid || newKid == "" {
		t.Fatalf("kid after RotateKey: got %q, want a new kid (was %q)", newKid, oldKid)
	}
	if got, want := strings.Join(jwksKids(t, e), ","), oldKid+","+newKid; got != want {
		t.Errorf("JWKS kids after rotation: got %s, want %s", got, want)
	}

	now := e.clock.Now().Unix()
	tok, err := e.p.SignIDToken(map[string]any{
		"iss": e.p.Issuer(), "aud": "gateway", "sub": "x", "iat": now, "exp": now + 60,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(context.Background(), tok); err != nil {
		t.Errorf("token signed with the rotated key: got %v, want it verified", err)
	}

	e.p.RemoveOldKeys()
	if got, want := strings.Join(jwksKids(t, e), ","), newKid; got != want {
		t.Errorf("JWKS kids after RemoveOldKeys: got %s, want %s", got, want)
	}
	// Discovery fetches no keys, Verify fetched once and jwksKids twice.
	if got, want := e.p.JWKSFetches(), int64(3); got != want {
		t.Errorf("JWKSFetches: got %d, want %d", got, want)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	good := Client{ID: "c", RedirectURIs: []string{rpCallback}}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no issuer", Options{Clients: []Client{good}}, "issuer"},
		{"issuer with query", Options{Issuer: "http://127.0.0.1/?x=1", Clients: []Client{good}}, "issuer"},
		{"bad alg", Options{Issuer: "http://127.0.0.1", Alg: "HS256", Clients: []Client{good}}, "alg"},
		{"duplicate user", Options{Issuer: "http://127.0.0.1", Users: []User{{Username: "a"}, {Username: "a"}}}, "duplicate user"},
		{"client without redirect", Options{Issuer: "http://127.0.0.1", Clients: []Client{{ID: "c"}}}, "no redirect"},
		{"relative redirect", Options{Issuer: "http://127.0.0.1", Clients: []Client{{ID: "c", RedirectURIs: []string{"/cb"}}}}, "absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDisableUnknownUser(t *testing.T) {
	e := start(t, nil)
	if err := e.p.DisableUser("mallory"); err == nil {
		t.Error("DisableUser(mallory): got nil error, want unknown user")
	}
}

func TestLogout(t *testing.T) {
	e := start(t, nil)
	hint, err := e.p.SignIDToken(map[string]any{"iss": e.p.Issuer(), "aud": "gateway", "sub": "x", "exp": 1})
	if err != nil {
		t.Fatal(err)
	}
	forged := hint[:len(hint)-4] + "AAAA"
	tests := []struct {
		name         string
		params       url.Values
		wantStatus   int
		wantLocation string
		wantBody     string
	}{
		{"no return URI", url.Values{}, 200, "", "Signed out"},
		{"client_id and state", url.Values{"client_id": {"gateway"}, "post_logout_redirect_uri": {rpHome}, "state": {"bye"}},
			302, rpHome + "?state=bye", ""},
		{"expired id_token_hint", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpHome}},
			302, rpHome, ""},
		{"forged id_token_hint", url.Values{"id_token_hint": {forged}, "post_logout_redirect_uri": {rpHome}},
			400, "", "id_token_hint"},
		{"unregistered URI", url.Values{"client_id": {"gateway"}, "post_logout_redirect_uri": {"http://evil.example/"}},
			400, "", "not registered"},
		{"URI of no client", url.Values{"post_logout_redirect_uri": {rpHome}}, 400, "", "not registered"},
		{"URI registered by another client", url.Values{"client_id": {"spa"}, "post_logout_redirect_uri": {rpHome}},
			400, "", "not registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, testenv.NewClient(t, false), e.p.Issuer()+"/logout?"+tt.params.Encode())
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Location") != tt.wantLocation {
				t.Errorf("got %d Location %q, want %d Location %q", resp.StatusCode, resp.Header.Get("Location"), tt.wantStatus, tt.wantLocation)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body lacks %q:\n%s", tt.wantBody, body)
			}
		})
	}
}

func TestLogoutEndsProviderSession(t *testing.T) {
	e := start(t, nil)
	c := testenv.NewClient(t, false)
	redirectParams(t, must(e.login(t, c, codeParams("gateway", strings.Repeat("v", 43)), "bob", "bob", "login")))

	silent := codeParams("gateway", strings.Repeat("v", 43))
	silent.Set("prompt", "none")
	if q := redirectParams(t, must(get(t, c, e.authURL(silent)))); q.Get("code") == "" {
		t.Fatalf("prompt=none before logout: got %v, want a code", q)
	}
	if resp, _ := get(t, c, e.p.Issuer()+"/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: got status %d, want 200", resp.StatusCode)
	}
	if got := redirectParams(t, must(get(t, c, e.authURL(silent)))).Get("error"); got != "login_required" {
		t.Errorf("prompt=none after logout: got error %q, want login_required", got)
	}
}
