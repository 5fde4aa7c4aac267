package sessions

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestBackChannelLogoutFromRealProvider: the user signs out at the provider, which
// POSTs a logout_token to replica A; the session ends on every replica. Forged and
// replayed tokens are refused with 400 and a reason, and end nothing.
func TestBackChannelLogoutFromRealProvider(t *testing.T) {
	c := startCluster(t, false, redisStore, redisStore)
	a, b := c.gws[0], c.gws[1]
	ctx := testenv.Chrome(t)
	signIn(t, ctx, c, a, "/app", "alice")
	cookie := cookieHeader(t, ctx, a.URL)
	sid := userinfoSID(t, a, cookie)
	wantUpstream(t, b, cookie, "alice")

	refused := []struct {
		name, token, reason string
		gw                  *testenv.Gateway
	}{
		{"garbage", "not-a-jwt", "malformed", b},
		{"forged signature", forgeLogoutToken(t, c.idp, sid), "signature", a},
	}
	for _, tc := range refused {
		r := postLogoutToken(t, tc.gw, tc.token)
		wantRefused(t, tc.name, r, tc.reason)
	}
	wantUpstream(t, b, cookie, "alice") // the refused tokens ended nothing

	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	end := withQuery(endSessionEndpoint(t, c.idp), url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {a.URL + "/"}})
	if err := chromedp.Do(cctx, chromedp.Navigate(end), testenv.LogoutOIDCProvider()); err != nil {
		t.Fatalf("sign out at the provider: %v\n--- provider log ---\n%s", err, c.idp.Logs())
	}
	got := c.relay.next(t)
	if got.status != http.StatusOK {
		t.Fatalf("A answered the provider's back-channel logout with %d, want 200\n--- log of A ---\n%s", got.status, a.Logs())
	}
	if claims := testenv.JWTClaims(t, got.token); claims["sid"] != sid || claims["sub"] != "alice" {
		t.Errorf("the provider's logout token names sid %v, sub %v; want %s, alice", claims["sid"], claims["sub"], sid)
	}
	rec := a.WaitRecord(t, "back-channel logout", 10*time.Second, func(m map[string]any) bool { return m["sid"] == sid })
	if rec["sessions_ended"] != float64(1) || rec["audit"] != true {
		t.Errorf("A's back-channel logout line: sessions_ended %v, audit %v; want 1, true", rec["sessions_ended"], rec["audit"])
	}
	c.idp.WaitLog(t, "EVENT backchannel.success client="+clientID+" sub=alice", 10*time.Second)
	wantUnauthenticated(t, b, cookie)
	wantUnauthenticated(t, a, cookie)

	// A has used this token: the same token again is a replay, on A and on every
	// replica that shares its Redis.
	wantRefused(t, "replayed to A", postLogoutToken(t, a, got.token), "replayed")
	wantRefused(t, "replayed to B", postLogoutToken(t, b, got.token), "replayed")
}

// postLogoutToken POSTs a back-channel logout with token to gw, as an IdP would.
func postLogoutToken(t *testing.T, gw *testenv.Gateway, token string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, gw.URL+"/oidc/backchannel-logout",
		strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		t.Fatalf("back-channel logout request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, noRedirects(), req)
}

// wantRefused checks a back-channel logout answer: 400, JSON, no-store, and an
// error_description that starts with reason.
func wantRefused(t *testing.T, name string, r reply, reason string) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Errorf("%s logout token: status %d, want 400\n%s", name, r.status, r.body)
		return
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s logout token: Cache-Control %q, want no-store", name, got)
	}
	body := r.jsonBody(t)
	desc, _ := body["error_description"].(string)
	if body["error"] != "invalid_request" || !strings.HasPrefix(desc, reason+":") {
		t.Errorf("%s logout token: body %s; want error invalid_request and a description starting %q", name, r.body, reason+":")
	}
}

// forgeLogoutToken returns a well-formed logout token for sid that claims to come
// from p, with p's key ID, but is signed by a key of its own.
func forgeLogoutToken(t *testing.T, p *testenv.Provider, sid string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate a key: %v", err)
	}
	opts := (&jose.SignerOptions{}).WithType("logout+jwt").WithHeader("kid", providerKeyID(t, p))
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.Issuer, "aud": clientID, "sub": "alice", "sid": sid, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"jti": rand.Text(), "events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatalf("sign the forged token: %v", err)
	}
	return raw
}

// providerKeyID returns the key ID the provider signs with, from its JWKS.
func providerKeyID(t *testing.T, p *testenv.Provider) string {
	t.Helper()
	disc := get(t, p.DiscoveryURL(), "", acceptJSON).jsonBody(t)
	jwksURI, _ := disc["jwks_uri"].(string)
	keys, _ := get(t, jwksURI, "", acceptJSON).jsonBody(t)["keys"].([]any)
	if len(keys) == 0 {
		t.Fatalf("the provider's JWKS at %q has no keys", jwksURI)
	}
	kid, _ := keys[0].(map[string]any)["kid"].(string)
	return kid
}
