package conformance

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
)

// backchannelEvent is the events member that makes a JWT a logout token.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutRow is one relying-party test of back-channel logout: the IdP posts a logout
// token for the signed-in user's session, made and signed as the row says, and the
// gateway must refuse it with 400 and reason, leaving the session working.
type logoutRow struct {
	id     string
	claims func(c map[string]any) // changes a valid token's claims
	defect testidp.Defect
	typ    string // the JWS typ header; "" means logout+jwt
	reason string
	// replay posts a valid token naming another user first, which must be accepted,
	// and then the same token again.
	replay bool
}

func logoutRows() []logoutRow {
	return []logoutRow{
		{id: "rp-backchannel-rpinitlogout-lt-alg-none", defect: testidp.DefectAlgNone, reason: "algorithm"},
		{id: "rp-backchannel-rpinitlogout-lt-bad-sig", defect: testidp.DefectBadSignature, reason: "signature"},
		{id: "rp-backchannel-rpinitlogout-lt-hs256-public-key", defect: testidp.DefectHMACPublicKey, reason: "algorithm"},
		{id: "rp-backchannel-rpinitlogout-lt-foreign-key", defect: testidp.DefectForeignKey, reason: "signature"},
		{id: "rp-backchannel-rpinitlogout-lt-with-nonce", claims: testidp.SetClaims("nonce", "n-0S6_WzA2Mj"), reason: "nonce"},
		{id: "rp-backchannel-rpinitlogout-lt-no-event", claims: testidp.SetClaims("events", nil), reason: "events"},
		{id: "rp-backchannel-rpinitlogout-lt-wrong-event", claims: testidp.SetClaims("events", map[string]any{"http://schemas.openid.net/event/other": map[string]any{}}), reason: "events"},
		{id: "rp-backchannel-rpinitlogout-lt-wrong-aud", claims: testidp.SetClaims("aud", "another-client"), reason: "audience"},
		{id: "rp-backchannel-rpinitlogout-lt-wrong-iss", claims: testidp.SetClaims("iss", "https://attacker.example"), reason: "issuer"},
		{id: "rp-backchannel-rpinitlogout-lt-no-sub-no-sid", claims: testidp.SetClaims("sub", nil, "sid", nil), reason: "sub_sid"},
		{id: "rp-backchannel-rpinitlogout-lt-no-jti", claims: testidp.SetClaims("jti", nil), reason: "jti"},
		{id: "rp-backchannel-rpinitlogout-lt-iat-stale", claims: at("iat", -time.Hour), reason: "iat"},
		{id: "rp-backchannel-rpinitlogout-lt-expired", claims: at("exp", -10*time.Minute), reason: "expired"},
		{id: "rp-backchannel-rpinitlogout-lt-wrong-typ", typ: "at+jwt", reason: "typ"},
		{id: "rp-backchannel-rpinitlogout-lt-replayed-jti", claims: testidp.SetClaims("sub", "sub-somebody-else", "sid", nil), replay: true, reason: "replayed"},
	}
}

// validLogoutClaims are the claims of a logout token that ends the session of the
// ID token whose claims are idClaims.
func validLogoutClaims(s *suite, idClaims map[string]any) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": s.idp.Issuer(), "aud": codeClient, "sub": idClaims["sub"], "sid": idClaims["sid"],
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": rand.Text(),
		"events": map[string]any{backchannelEvent: map[string]any{}},
	}
}

// postLogoutToken POSTs token to gw's back-channel logout endpoint, as the IdP does
// (server to server: no cookies), and returns the answer.
func postLogoutToken(t *testing.T, gw *testenv.Gateway, token string) (*http.Response, string) {
	t.Helper()
	return testenv.Fetch(t, browser(t), gw.URL+"/oidc/backchannel-logout", url.Values{"logout_token": {token}},
		http.Header{"Accept": {"application/json"}})
}

// runLogoutRows signs the user in at the code-flow gateway, refuses every row's token
// with the session still working, and ends with a valid token that ends it.
func runLogoutRows(t *testing.T, s *suite) {
	gw := s.code
	s.idp.set(misbehaviour{})
	c := browser(t)
	if resp, body := s.startSignIn(t, gw, c).send(t, c, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in before the logout rows: status %d; body %q\n--- gateway log ---\n%s", resp.StatusCode, body, gw.Logs())
	}
	idClaims := s.idp.lastClaims()
	if idClaims["sid"] == nil || idClaims["sub"] == nil {
		t.Fatalf("the ID token has no sid or sub: %v", idClaims)
	}
	sign := func(t *testing.T, claims map[string]any, typ string, d testidp.Defect) string {
		t.Helper()
		if typ == "" {
			typ = "logout+jwt"
		}
		tok, err := s.idp.SignToken(claims, typ, d)
		if err != nil {
			t.Fatalf("sign the logout token: %v", err)
		}
		return tok
	}
	for _, r := range logoutRows() {
		t.Run(r.id, func(t *testing.T) {
			claims := validLogoutClaims(s, idClaims)
			if r.claims != nil {
				r.claims(claims)
			}
			tok := sign(t, claims, r.typ, r.defect)
			hits := s.up.hits.Load()
			if r.replay {
				if resp, body := postLogoutToken(t, gw, tok); resp.StatusCode != http.StatusOK {
					t.Fatalf("the first post of the token: status %d, want 200; body %q", resp.StatusCode, body)
				}
			}
			resp, body := postLogoutToken(t, gw, tok)
			wantLogoutRefused(t, gw, resp, body, r.reason)
			if got := s.up.hits.Load(); got != hits {
				t.Errorf("the upstream got %d requests during a refused logout, want none", got-hits)
			}
			if status, body := app(t, c, gw); status != http.StatusOK || !strings.Contains(body, `"user":"`+user+`"`) {
				t.Errorf("after the refused logout token GET /app: %d %q, want 200 for %s (the session still works)", status, body, user)
			}
		})
	}
	t.Run("rp-backchannel-rpinitlogout", func(t *testing.T) {
		resp, body := postLogoutToken(t, gw, sign(t, validLogoutClaims(s, idClaims), "", testidp.DefectNone))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("a valid logout token: status %d, want 200; body %q\n--- gateway log ---\n%s", resp.StatusCode, body, gw.Logs())
		}
		if status, body := app(t, c, gw); status != http.StatusUnauthorized {
			t.Errorf("after a valid logout token GET /app: %d %q, want 401 (the session ended)", status, body)
		}
	})
}

// wantLogoutRefused checks a refused logout token: 400 with a JSON invalid_request
// and the audit line of a refused back-channel logout with reason.
func wantLogoutRefused(t *testing.T, gw *testenv.Gateway, resp *http.Response, body, reason string) {
	t.Helper()
	var answer map[string]string
	if resp.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(body), &answer) != nil || answer["error"] != "invalid_request" {
		t.Errorf("status %d, body %q; want 400 with a JSON invalid_request", resp.StatusCode, body)
	}
	wantAudit(t, gw, resp, "back-channel logout refused", reason)
}
