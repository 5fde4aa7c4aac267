package oidcflow

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ssogate/ssogate/internal/testidp"
)

func TestCompleteRefusesCallback(t *testing.T) {
	env := startIdP(t, nil)
	implicit := newFlow(t, env.options(MethodImplicit))
	pkce := newFlow(t, env.options(MethodPKCE))
	for _, tc := range []struct {
		name       string
		flow       *Flow
		mod        func(ls *LoginState, cb *Callback)
		wantErr    error
		wantReason string
	}{
		{"state differs", implicit, func(_ *LoginState, cb *Callback) { cb.State = "someone-elses" }, ErrStateMismatch, "state_mismatch"},
		{"state missing", implicit, func(_ *LoginState, cb *Callback) { cb.State = "" }, ErrStateMismatch, "state_mismatch"},
		{"both states empty", pkce, func(ls *LoginState, cb *Callback) { ls.State, cb.State = "", "" }, ErrStateMismatch, "state_mismatch"},
		{"expires now", implicit, func(ls *LoginState, _ *Callback) { ls.Expires = env.clock.Now() }, ErrStateExpired, "state_expired"},
		{"issuer moved", implicit, func(ls *LoginState, _ *Callback) { ls.Issuer = "https://old.example.com" }, ErrSettingsMoved, "settings_changed"},
		{"client moved", pkce, func(ls *LoginState, _ *Callback) { ls.ClientID = "old-client" }, ErrSettingsMoved, "settings_changed"},
		{"method moved", implicit, func(ls *LoginState, _ *Callback) { ls.Method = MethodPKCE }, ErrSettingsMoved, "settings_changed"},
		{"code in implicit", implicit, func(_ *LoginState, cb *Callback) { cb.IDToken, cb.Code = "", "abc" }, ErrWrongFlow, "bad_response"},
		{"code and token in implicit", implicit, func(_ *LoginState, cb *Callback) { cb.Code = "abc" }, ErrWrongFlow, "bad_response"},
		{"nothing in implicit", implicit, func(_ *LoginState, cb *Callback) { cb.IDToken = "" }, ErrWrongFlow, "bad_response"},
		{"token in pkce", pkce, func(_ *LoginState, cb *Callback) { cb.Code = "" }, ErrWrongFlow, "bad_response"},
		{"nothing in pkce", pkce, func(_ *LoginState, cb *Callback) { cb.Code, cb.IDToken = "", "" }, ErrWrongFlow, "bad_response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, _ := tc.flow.Start("/", redirectURI)
			cb := Callback{State: ls.State, Code: "a-code", IDToken: env.sign(t, env.idTokenClaims(ls))}
			tc.mod(&ls, &cb)
			res, err := tc.flow.Complete(context.Background(), ls, cb)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Complete = %+v, %v; want %v", res, err, tc.wantErr)
			}
			if got := Reason(err); got != tc.wantReason {
				t.Errorf("Reason = %q, want %q", got, tc.wantReason)
			}
		})
	}
}

func TestCompleteRefusesExpiredLogin(t *testing.T) {
	env := startIdP(t, nil)
	f := newFlow(t, env.options(MethodImplicit))
	ls, _ := f.Start("/", redirectURI)
	cb := Callback{State: ls.State, IDToken: env.sign(t, env.idTokenClaims(ls))}
	env.clock.Advance(10*time.Minute - time.Second)
	if _, err := f.Complete(context.Background(), ls, cb); err != nil {
		t.Fatalf("Complete a second before the login expires: %v", err)
	}
	env.clock.Advance(time.Second)
	if _, err := f.Complete(context.Background(), ls, cb); !errors.Is(err, ErrStateExpired) {
		t.Fatalf("Complete after LoginTTL = %v, want ErrStateExpired", err)
	}
}

func TestCompleteReportsIdPError(t *testing.T) {
	env := startIdP(t, nil)
	f := newFlow(t, env.options(MethodPKCE))
	ls, _ := f.Start("/", redirectURI)
	_, err := f.Complete(context.Background(), ls, Callback{State: ls.State, Error: "consent_required", ErrorDescription: "AADSTS65001: no consent"})
	var ie *IdPError
	if !errors.As(err, &ie) || ie.Code != "consent_required" || ie.Description != "AADSTS65001: no consent" {
		t.Fatalf("Complete = %v, want *IdPError consent_required with its description", err)
	}
	if got, want := err.Error(), "identity provider error: consent_required: AADSTS65001: no consent"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// idpPublicKeyBytes returns the IdP's RSA public key as PEM and DER, what an attacker
// would use as an HMAC secret.
func idpPublicKeyBytes(t *testing.T, env *idpEnv) (pemBytes, der []byte) {
	t.Helper()
	resp, err := env.srv.Client().Get(env.idp.Issuer() + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("IdP JWKS %s: %v", body, err)
	}
	der, err = x509.MarshalPKIXPublicKey(set.Keys[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), der
}

func TestCompleteRefusesToken(t *testing.T) {
	// The IdP advertises HS256 and none: the gateway must still refuse both.
	env := startIdP(t, func(o *testidp.Options) {
		o.DiscoveryHook = func(doc map[string]any) {
			doc["id_token_signing_alg_values_supported"] = []string{"RS256", "HS256", "none"}
		}
	})
	f := newFlow(t, env.options(MethodImplicit))
	pemKey, derKey := idpPublicKeyBytes(t, env)
	stranger := newSigner(t, jose.RS256, "stranger")
	now := env.clock.Now()
	set := testidp.SetClaims
	hmacWith := func(secret []byte) func(*testing.T, map[string]any) string {
		return func(t *testing.T, c map[string]any) string {
			return forgedToken(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": env.idp.KeyID()}, c, secret)
		}
	}
	for _, tc := range []struct {
		name       string
		mod        func(map[string]any)
		token      func(*testing.T, map[string]any) string // nil: signed by the IdP
		wantReason string                                  // "" means accepted
	}{
		{name: "valid", mod: set()},
		{name: "other client", mod: set("aud", "someone-else"), wantReason: "audience"},
		{name: "two other clients", mod: set("aud", []string{"a", "b"}), wantReason: "audience"},
		{name: "several audiences without azp", mod: set("aud", []string{confidentialClient, "api"}), wantReason: "audience"},
		{name: "several audiences, azp is us", mod: set("aud", []string{confidentialClient, "api"}, "azp", confidentialClient)},
		{name: "several audiences, azp is another", mod: set("aud", []string{confidentialClient, "api"}, "azp", "api"), wantReason: "audience"},
		{name: "azp is another", mod: set("azp", "api"), wantReason: "audience"},
		{name: "expired beyond skew", mod: set("exp", now.Add(-3*time.Minute).Unix()), wantReason: "expired"},
		{name: "expired within skew", mod: set("exp", now.Add(-time.Minute).Unix())},
		{name: "not yet valid", mod: set("nbf", now.Add(time.Hour).Unix()), wantReason: "not_yet_valid"},
		{name: "issued in the future", mod: set("iat", now.Add(5*time.Minute).Unix()), wantReason: "iat"},
		{name: "issued a little ahead", mod: set("iat", now.Add(time.Minute).Unix())},
		{name: "issued too long ago for a login", mod: set("iat", now.Add(-13*time.Minute).Unix()), wantReason: "iat"},
		{name: "no iat", mod: set("iat", nil), wantReason: "iat"},
		{name: "no nonce", mod: set("nonce", nil), wantReason: "nonce"},
		{name: "other nonce", mod: set("nonce", "replayed-from-another-login"), wantReason: "nonce"},
		{name: "other issuer", mod: set("iss", "https://evil.example.com"), wantReason: "issuer"},
		{name: "no subject", mod: set("sub", nil), wantReason: "claims"},
		{name: "aud is a number", mod: set("aud", 42), wantReason: "claims"},
		{name: "exp is a string", mod: set("exp", "tomorrow"), wantReason: "claims"},
		{name: "alg none", mod: set(), wantReason: "algorithm", token: func(t *testing.T, c map[string]any) string {
			return forgedToken(t, map[string]any{"alg": "none", "typ": "JWT"}, c, nil)
		}},
		{name: "HS256 keyed with the PEM public key", mod: set(), token: hmacWith(pemKey), wantReason: "algorithm"},
		{name: "HS256 keyed with the DER public key", mod: set(), token: hmacWith(derKey), wantReason: "algorithm"},
		{name: "stranger's key under the IdP's kid", mod: set(), wantReason: "signature", token: func(t *testing.T, c map[string]any) string {
			return stranger.sign(t, c, env.idp.KeyID())
		}},
		{name: "stranger's key and kid", mod: set(), wantReason: "unknown_key", token: func(t *testing.T, c map[string]any) string {
			return stranger.sign(t, c, "")
		}},
		{name: "not a JWT", mod: set(), wantReason: "malformed", token: func(*testing.T, map[string]any) string { return "not.a.jwt" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, _ := f.Start("/", redirectURI)
			c := env.idTokenClaims(ls)
			tc.mod(c)
			raw := ""
			if tc.token != nil {
				raw = tc.token(t, c)
			} else {
				raw = env.sign(t, c)
			}
			res, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: raw})
			if tc.wantReason == "" {
				if err != nil {
					t.Fatalf("Complete: %v", err)
				}
				if res.Identity.Subject != "sub-alice" {
					t.Errorf("Subject = %q, want sub-alice", res.Identity.Subject)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Complete = %+v, %v; want a *TokenError", res, err)
			}
			if got := Reason(err); got != tc.wantReason {
				t.Errorf("Reason = %q (%v), want %q", got, err, tc.wantReason)
			}
			if got := errors.Is(err, ErrNonceMismatch); got != (tc.wantReason == "nonce") {
				t.Errorf("errors.Is(%v, ErrNonceMismatch) = %v, want %v", err, got, !got)
			}
		})
	}
}
