package oidcflow

import (
	"context"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestTokenClockChecksTokensOnly: with TokenNow off the IdP's clock, ID tokens and
// logout tokens are judged by TokenNow (expired when it runs past exp, issued in the
// future when it runs behind iat), while the login's own lifetime keeps Now.
func TestTokenClockChecksTokensOnly(t *testing.T) {
	env := startIdP(t, nil)
	for _, tc := range []struct {
		name       string
		offset     time.Duration
		wantReason string // "" means accepted
	}{
		{"in step", 0, ""},
		{"within the skew", 90 * time.Second, ""},
		{"past the token's exp", time.Hour + 3*time.Minute, "expired"},
		{"behind its iat", -time.Hour, "iat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := env.options(MethodImplicit)
			o.TokenNow = func() time.Time { return env.clock.Now().Add(tc.offset) }
			f := newFlow(t, o)
			ls, _ := f.Start("/", redirectURI)
			if want := env.clock.Now().Add(10 * time.Minute); !ls.Expires.Equal(want) {
				t.Errorf("the login expires at %v, want %v (Now, not TokenNow)", ls.Expires, want)
			}
			_, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: env.sign(t, env.idTokenClaims(ls))})
			if got := Reason(err); err != nil && got != tc.wantReason || err == nil && tc.wantReason != "" {
				t.Errorf("Complete with the token clock %v off: %v (reason %q), want reason %q", tc.offset, err, got, tc.wantReason)
			}
		})
	}
}

// TestTokenClockChecksLogoutTokens: a logout token issued now is refused by a flow
// whose TokenNow runs an hour behind (issued in the future) or ahead (too old).
func TestTokenClockChecksLogoutTokens(t *testing.T) {
	key := newSigner(t, jose.RS256, "k1")
	_, idp, clk := trustingFlow(t, key)
	now := clk.Now()
	token := key.signTyped(t, map[string]any{
		"iss": idp.base, "aud": "gateway", "sub": "sub-alice", "jti": "jti-1", "iat": now.Unix(),
		"exp": now.Add(2 * time.Minute).Unix(), "events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}, "", "logout+jwt")
	for _, offset := range []time.Duration{0, -time.Hour, time.Hour} {
		o := Options{Issuer: idp.base, ClientID: "gateway", Method: MethodPKCE, HTTPClient: idp.client, Now: clk.Now,
			TokenNow: func() time.Time { return clk.Now().Add(offset) }}
		f := newFlow(t, o)
		_, err := f.VerifyLogoutToken(context.Background(), token)
		if offset == 0 && err != nil {
			t.Errorf("VerifyLogoutToken with the token clock in step: %v", err)
		}
		if offset != 0 && Reason(err) != "iat" && Reason(err) != "expired" {
			t.Errorf("VerifyLogoutToken with the token clock %v off: %v, want it refused for iat or exp", offset, err)
		}
	}
}
