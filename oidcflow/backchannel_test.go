package oidcflow

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestVerifyLogoutToken(t *testing.T) {
	key := newSigner(t, jose.RS256, "k1")
	f, idp, clk := trustingFlow(t, key)
	now := clk.Now()
	const event = "http://schemas.openid.net/event/backchannel-logout"
	valid := func() map[string]any {
		return map[string]any{
			"iss": idp.base, "aud": "gateway", "sub": "sub-alice", "sid": "sid-1", "jti": "jti-1",
			"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "events": map[string]any{event: map[string]any{}},
		}
	}
	for _, tc := range []struct {
		name       string
		typ        string
		mod        func(map[string]any)
		wantReason string // "" means accepted
	}{
		{"sid and sub", "logout+jwt", func(map[string]any) {}, ""},
		{"sid only", "logout+jwt", func(c map[string]any) { delete(c, "sub") }, ""},
		{"sub only, typ JWT", "JWT", func(c map[string]any) { delete(c, "sid") }, ""},
		{"ID token typ", "at+jwt", func(map[string]any) {}, "typ"},
		{"neither sub nor sid", "logout+jwt", func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }, "sub_sid"},
		{"an ID token replayed as logout", "logout+jwt", func(c map[string]any) { c["nonce"] = "n" }, "nonce"},
		{"no logout event", "logout+jwt", func(c map[string]any) { c["events"] = map[string]any{} }, "events"},
		{"no jti", "logout+jwt", func(c map[string]any) { delete(c, "jti") }, "jti"},
		{"other audience", "logout+jwt", func(c map[string]any) { c["aud"] = "other" }, "audience"},
		{"other issuer", "logout+jwt", func(c map[string]any) { c["iss"] = "https://evil.example.com" }, "issuer"},
		{"expired", "logout+jwt", func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }, "expired"},
		{"no exp, as Hydra sends", "logout+jwt", func(c map[string]any) { delete(c, "exp") }, ""},
		{"no exp, issued long ago", "logout+jwt", func(c map[string]any) { delete(c, "exp"); c["iat"] = now.Add(-time.Hour).Unix() }, "iat"},
		{"exp not a number", "logout+jwt", func(c map[string]any) { c["exp"] = "tomorrow" }, "claims"},
		{"aud not a string", "logout+jwt", func(c map[string]any) { c["aud"] = 7 }, "claims"},
		{"audience list with this client", "logout+jwt", func(c map[string]any) { c["aud"] = []string{"other", "gateway"} }, ""},
		{"events not an object", "logout+jwt", func(c map[string]any) { c["events"] = "logout" }, "claims"},
		{"no iat", "logout+jwt", func(c map[string]any) { delete(c, "iat") }, "iat"},
		{"issued long ago", "logout+jwt", func(c map[string]any) { c["iat"] = now.Add(-time.Hour).Unix() }, "iat"},
		{"issued in the future", "logout+jwt", func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }, "iat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mod(c)
			lt, err := f.VerifyLogoutToken(context.Background(), key.signTyped(t, c, "", tc.typ))
			if tc.wantReason != "" {
				if got := Reason(err); got != tc.wantReason {
					t.Fatalf("VerifyLogoutToken = %+v, %v (reason %q); want reason %q", lt, err, got, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyLogoutToken: %v", err)
			}
			if lt.JTI != "jti-1" || lt.Issuer != idp.base || lt.Subject != stringOf(c["sub"]) || lt.SessionID != stringOf(c["sid"]) {
				t.Errorf("LogoutToken = %+v, want the token's iss, sub, sid and jti", lt)
			}
		})
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}
