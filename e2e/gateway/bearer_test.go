package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ssogate/ssogate/internal/testenv"
)

// providerKey is the key the test provider signs with, so that a test can mint the
// tokens the provider would issue (machine clients' bearer tokens, logout tokens).
type providerKey struct {
	key *rsa.PrivateKey
	kid string
}

func newProviderKey(t *testing.T) (providerKey, json.RawMessage) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pk := providerKey{key: key, kid: "test-key-1"}
	jwk := jose.JSONWebKey{Key: key, KeyID: pk.kid, Algorithm: string(jose.RS256), Use: "sig"}
	set, err := json.Marshal(map[string]any{"keys": []jose.JSONWebKey{jwk}})
	if err != nil {
		t.Fatal(err)
	}
	return pk, set
}

// mint signs claims with the provider's key, typed typ.
func (k providerKey) mint(t *testing.T, typ string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", k.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// bearerStatus sends GET path with the bearer token and returns the status and, when
// the upstream got the request, the user it was told.
func bearerStatus(t *testing.T, s *stack, path, token string) (int, string) {
	t.Helper()
	resp, body := testenv.Fetch(t, testenv.NewClient(t, false), s.gw.URL+path, nil,
		http.Header{"Authorization": {"Bearer " + token}, "Accept": {"application/json"}})
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("GET %s: got %d (WWW-Authenticate %q), want 200 or a 401 Bearer challenge; body %q",
				path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
		return resp.StatusCode, ""
	}
	return resp.StatusCode, strings.Join(lastReceived(t, s, path).Headers["X-Auth-Request-User"], ",")
}

// TestBearerTokensFollowLogouts: a bearer JWT is judged like a session. A back-channel
// logout of its IdP session (sid) or of its user (sub) ends the tokens issued before
// it, not those issued after; and a logout token, typed logout+jwt or carrying events
// under another typ, is never a credential.
func TestBearerTokensFollowLogouts(t *testing.T) {
	t.Parallel()
	key, jwks := newProviderKey(t)
	s := startStackProvider(t, func(redirect string) testenv.Client { return testenv.ImplicitClient("app", redirect) },
		testenv.ProviderConfig{JWKS: jwks}, map[string]string{"OIDC_CLIENT_ID": "app"})
	now := time.Now()
	token := func(sub, sid string, issued time.Time) string {
		c := map[string]any{"iss": s.idp.Issuer, "aud": "app", "sub": sub, "preferred_username": sub,
			"iat": issued.Unix(), "exp": issued.Add(10 * time.Minute).Unix()}
		if sid != "" {
			c["sid"] = sid
		}
		return key.mint(t, "JWT", c)
	}
	logoutToken := func(typ string, claims map[string]any) string {
		c := map[string]any{"iss": s.idp.Issuer, "aud": "app", "iat": time.Now().Unix(), "exp": time.Now().Add(2 * time.Minute).Unix(),
			"jti": rand.Text(), "events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}}
		for k, v := range claims {
			c[k] = v
		}
		return key.mint(t, typ, c)
	}
	backChannel := func(lt string) {
		t.Helper()
		resp, body := testenv.Fetch(t, testenv.NewClient(t, false), s.gw.URL+"/oidc/backchannel-logout",
			url.Values{"logout_token": {lt}}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("back-channel logout: got %d, want 200; body %q", resp.StatusCode, body)
		}
	}

	aliceBefore := token("alice", "idp-session-1", now.Add(-time.Minute))
	bobBefore := token("bob", "", now.Add(-time.Minute))
	carol := token("carol", "idp-session-2", now.Add(-time.Minute))
	for _, tc := range []struct{ name, token, user string }{
		{"alice", aliceBefore, "alice"}, {"bob", bobBefore, "bob"}, {"carol", carol, "carol"},
	} {
		if status, user := bearerStatus(t, s, "/api/before-"+tc.name, tc.token); status != http.StatusOK || user != tc.user {
			t.Fatalf("%s's token before any logout: got %d as %q, want 200 as %q", tc.name, status, user, tc.user)
		}
	}

	backChannel(logoutToken("logout+jwt", map[string]any{"sub": "alice", "sid": "idp-session-1"}))
	backChannel(logoutToken("logout+jwt", map[string]any{"sub": "bob"}))
	aliceAfter := token("alice", "idp-session-1", time.Now().Add(2*time.Second))
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"alice's token from before her IdP session's logout", aliceBefore, http.StatusUnauthorized},
		{"bob's token from before his subject's logout", bobBefore, http.StatusUnauthorized},
		{"alice's token issued after the logout", aliceAfter, http.StatusOK},
		{"carol's token, another IdP session", carol, http.StatusOK},
		{"a logout token (logout+jwt)", logoutToken("logout+jwt", map[string]any{"sub": "carol", "sid": "idp-session-2"}), http.StatusUnauthorized},
		{"a logout token typed JWT (events)", logoutToken("JWT", map[string]any{"sub": "carol", "sid": "idp-session-2"}), http.StatusUnauthorized},
	} {
		if status, _ := bearerStatus(t, s, "/api/after", tc.token); status != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, status, tc.want)
		}
	}
	refused := s.gw.WaitLogRecords(t, "refusals of revoked bearer tokens", 2, 10*time.Second, func(r map[string]any) bool {
		return testenv.Str(r, "msg") == "credentials refused" && testenv.Str(r, "reason") == "revoked_bearer_token"
	})
	if len(refused) != 2 {
		t.Errorf("%d refusals with reason revoked_bearer_token, want 2", len(refused))
	}
}
