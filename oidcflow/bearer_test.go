package oidcflow

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestVerifyBearer(t *testing.T) {
	key := newSigner(t, jose.ES256, "k1")
	f, idp, clk := trustingFlow(t, key)
	now := clk.Now()
	valid := func() map[string]any {
		return map[string]any{
			"iss": idp.base, "aud": "gateway", "sub": "svc-1", "preferred_username": "ci-bot",
			"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	}
	for _, tc := range []struct {
		name       string
		typ        string
		mod        func(map[string]any)
		wantReason string // "" means accepted
	}{
		{"ID token, no nonce, issued long ago", "JWT", func(map[string]any) {}, ""},
		{"access token typ", "at+jwt", func(map[string]any) {}, ""},
		{"no typ", "", func(map[string]any) {}, ""},
		{"logout token typ", "logout+jwt", func(map[string]any) {}, "typ"},
		{"logout token typ as media type", "application/logout+jwt", func(map[string]any) {}, "typ"},
		{"logout token without typ (events claim)", "JWT", func(c map[string]any) {
			c["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}
		}, "events"},
		{"other audience", "JWT", func(c map[string]any) { c["aud"] = "other-api" }, "audience"},
		{"expired", "JWT", func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() }, "expired"},
		{"issued in the future", "JWT", func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }, "iat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mod(c)
			b, err := f.VerifyBearer(context.Background(), key.signTyped(t, c, "", tc.typ))
			id := b.Identity
			if tc.wantReason != "" {
				if got := Reason(err); got != tc.wantReason {
					t.Fatalf("VerifyBearer = %+v, %v (reason %q); want reason %q", id, err, got, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyBearer: %v", err)
			}
			if id.Subject != "svc-1" || id.Username != "ci-bot" {
				t.Errorf("Identity = %+v, want subject svc-1 and username ci-bot", id)
			}
			if want := time.Unix(c["iat"].(int64), 0); !b.IssuedAt.Equal(want) {
				t.Errorf("IssuedAt = %v, want the token's iat %v", b.IssuedAt, want)
			}
		})
	}
}
