package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/session"
)

// logoutToken is a back-channel logout token for sid, signed by f's IdP.
func (f *fixture) logoutToken(t *testing.T, sid, jti string) string {
	t.Helper()
	tok, err := f.idp.SignIDToken(map[string]any{
		"iss": f.idp.Issuer(), "aud": testClientID, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
		"jti": jti, "sid": sid, "events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	})
	if err != nil {
		t.Fatalf("signing a logout token: %v", err)
	}
	return tok
}

// TestSelfMadeStatesCannotStopSignInsOrLogouts: anyone can start a login and post
// its own state back with a forged token. With both replay guards lowered to 20
// entries, 2,000 such callbacks leave them empty, and a real sign-in and a real
// back-channel logout still work.
func TestSelfMadeStatesCannotStopSignInsOrLogouts(t *testing.T) {
	const bound, flood = 20, 2_000
	f := newFixture(t, fixtureOptions{revoker: session.NewMemoryRevoker(nil, 0), quiet: true})
	f.gw.states = newReplayGuard(f.gw.opts.Now, bound)
	f.gw.jtis = newReplayGuard(f.gw.opts.Now, bound)

	start := time.Now()
	for i := range flood {
		login := httptest.NewRecorder()
		f.gw.ServeHTTP(login, httptest.NewRequest(http.MethodGet, "/oidc/login?rd=%2F", nil))
		authURL, err := url.Parse(login.Header().Get("Location"))
		if err != nil || login.Code != http.StatusFound {
			t.Fatalf("login %d: %d %q", i, login.Code, login.Header().Get("Location"))
		}
		form := url.Values{"state": {authURL.Query().Get("state")}, "id_token": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}}
		req := httptest.NewRequest(http.MethodPost, "/oidc/callback", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range login.Result().Cookies() {
			req.AddCookie(c)
		}
		cb := httptest.NewRecorder()
		f.gw.ServeHTTP(cb, req)
		if cb.Code != http.StatusBadRequest {
			t.Fatalf("forged callback %d: status %d, want 400\n%s", i, cb.Code, cb.Body)
		}
	}
	t.Logf("%d self-made logins and forged callbacks in %s", flood, time.Since(start).Round(time.Millisecond))
	if n := len(f.gw.states.seen); n != 0 {
		t.Fatalf("state guard holds %d entries after the flood, want 0 (only verified states are recorded)", n)
	}

	b := f.browser()
	if loc := b.signIn("/app"); loc != "/app" {
		t.Fatalf("sign-in after the flood landed on %q, want /app", loc)
	}
	_, body := b.api("/oidc/userinfo")
	var info struct{ SID string }
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.SID == "" {
		t.Fatalf("userinfo: %s; want a sid", body)
	}
	resp, err := http.PostForm(f.url("/oidc/backchannel-logout"), url.Values{"logout_token": {f.logoutToken(t, info.SID, "jti-1")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("back-channel logout after the flood: status %d, want 200", resp.StatusCode)
	}
	if resp, body := b.api("/app"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the back-channel logout: GET /app %d %s, want 401", resp.StatusCode, body)
	}
}
