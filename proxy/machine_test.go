package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testidp"
)

// TestAPIKeyPassthroughBearer: with API_KEY_PASSTHROUGH every credential the gateway
// does not verify itself — an opaque Bearer API key (W&B's SCIM and MCP), a Bearer JWT
// another issuer signed (W&B's identity-federation access token), another scheme —
// reaches the upstream with Authorization untouched and no identity, and leaves one
// audit line naming its kind, never the credential. A valid IdP token still gets
// its identity.
func TestAPIKeyPassthroughBearer(t *testing.T) {
	f := newFixture(t, fixtureOptions{apiKeyPassthrough: true})
	b := f.browser()
	idToken := b.idpLogin(b.startLogin("/oidc/login"), "alice", "alice").form.Get("id_token")
	b.signIn("/") // a session in the jar must not lend a passed-through request an identity
	other, err := testidp.New(testidp.Options{Issuer: "https://wandb.example.com/oidc", Users: testidp.DemoUsers()})
	if err != nil {
		t.Fatal(err)
	}
	wandbToken, err := other.SignIDToken(map[string]any{"iss": "https://wandb.example.com/oidc", "sub": "alice",
		"aud": testClientID, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, authorization, wantKind, wantUser string
	}{
		{"opaque W&B API key", "Bearer local-0123456789abcdef0123456789abcdef", credBearer, ""},
		{"W&B access token", "Bearer " + wandbToken, credForeignJWT, ""},
		{"Basic api key", "Basic YXBpOmxvY2FsLWtleQ==", credBasic, ""},
		{"another scheme", "Token secret-token-value", credOtherScheme, ""},
		{"ID token of the IdP", "Bearer " + idToken, "", "alice"},
	} {
		before := len(f.logs.records(t, "API key passed through"))
		req := b.request(http.MethodGet, "/api/runs", "application/json", nil)
		req.Header.Set("Authorization", tc.authorization)
		for k, v := range spoofedHeaders {
			req.Header[k] = []string{v}
		}
		resp, body := b.do(req)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: got %d %q, want 200 from the upstream", tc.name, resp.StatusCode, body)
			continue
		}
		e := decodeEcho(t, body)
		if got := e.Header.Get("Authorization"); got != tc.authorization {
			t.Errorf("%s: upstream Authorization %q, want it untouched", tc.name, got)
		}
		audits := f.logs.records(t, "API key passed through")[before:]
		if tc.wantUser != "" {
			if e.Header.Get(HeaderUser) != tc.wantUser || len(audits) != 0 {
				t.Errorf("%s: upstream user %q and %d passthrough lines, want %q and none", tc.name, e.Header.Get(HeaderUser), len(audits), tc.wantUser)
			}
			continue
		}
		if got := identityHeadersSeen(e.Header); len(got) != 0 {
			t.Errorf("%s: upstream identity headers %v, want none", tc.name, got)
		}
		if len(audits) != 1 || audits[0]["credential"] != tc.wantKind || audits[0]["audit"] != true {
			t.Errorf("%s: audit lines %v, want one with credential %q", tc.name, audits, tc.wantKind)
		}
	}
	logs := f.logs.records(t, "")
	for _, secret := range []string{"0123456789abcdef0123", wandbToken[len(wandbToken)-20:], "bG9jYWwta2V5", "local-key", "secret-token-value"} {
		for _, rec := range logs {
			if strings.Contains(fmt.Sprint(rec), secret) {
				t.Errorf("a credential (%q…) appears in the log: %v", secret[:8], rec)
			}
		}
	}
}

// TestBearerWithoutPassthroughIs401: without API_KEY_PASSTHROUGH an opaque key or a
// foreign JWT is refused, as before, and nothing reaches the upstream.
func TestBearerWithoutPassthroughIs401(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	api := f.browser()
	for _, authz := range []string{"Bearer local-0123456789abcdef", "Bearer e30.e30.c2ln", "Token x"} {
		req := api.request(http.MethodGet, "/mcp", "application/json", nil)
		req.Header.Set("Authorization", authz)
		if resp, body := api.do(req); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: got %d %q, want 401", authz, resp.StatusCode, body)
		}
	}
	if f.hits.Load() != 0 {
		t.Errorf("upstream requests: got %d, want 0", f.hits.Load())
	}
}
