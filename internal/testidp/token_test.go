package testidp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ssogate/ssogate/internal/testenv"
)

func TestCodeFlowWithPKCE(t *testing.T) {
	tests := []struct {
		name, alg, client, secret, user string
		style                           oauth2.AuthStyle
		wantGroups                      string
	}{
		{"confidential basic RS256", "RS256", "gateway", rpSecret, "alice", oauth2.AuthStyleInHeader, "wandb-admins,ml-team"},
		{"confidential post ES256", "ES256", "gateway", rpSecret, "bob", oauth2.AuthStyleInParams, "ml-team"},
		{"public client", "RS256", "spa", "", "jisoo", oauth2.AuthStyleInParams, "ml-team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, func(o *Options) { o.Alg = tt.alg })
			prov, verifier := e.verifier(t, tt.client)
			ctx := oidc.ClientContext(context.Background(), e.srv.Client())
			ep := prov.Endpoint()
			ep.AuthStyle = tt.style
			cfg := oauth2.Config{ClientID: tt.client, ClientSecret: tt.secret, Endpoint: ep,
				RedirectURL: rpCallback, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
			pkce := oauth2.GenerateVerifier()
			authURL := cfg.AuthCodeURL("state-9", oauth2.S256ChallengeOption(pkce), oidc.Nonce("nonce-9"))

			resp, page := get(t, testenv.NewClient(t, false), authURL)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET authorize: got %d, want 200:\n%s", resp.StatusCode, page)
			}
			action, fields := testenv.ParseForm(t, page)
			fields.Set("username", tt.user)
			fields.Set("password", tt.user)
			resp, _ = postForm(t, testenv.NewClient(t, false), action, fields)
			q := redirectParams(t, resp)
			if q.Get("state") != "state-9" {
				t.Errorf("state: got %q, want state-9", q.Get("state"))
			}

			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if tok.RefreshToken != "" {
				t.Errorf("refresh_token: got %q, want none without offline_access", tok.RefreshToken)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(ctx, raw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var c struct {
				Username string   `json:"preferred_username"`
				Groups   []string `json:"groups"`
				Sid      string   `json:"sid"`
				AuthTime int64    `json:"auth_time"`
			}
			if err := idt.Claims(&c); err != nil {
				t.Fatal(err)
			}
			if idt.Nonce != "nonce-9" || c.Username != tt.user || strings.Join(c.Groups, ",") != tt.wantGroups {
				t.Errorf("claims: got nonce %q user %q groups %v, want nonce-9 %s [%s]", idt.Nonce, c.Username, c.Groups, tt.user, tt.wantGroups)
			}
			if c.Sid == "" || c.AuthTime != e.clock.Now().Unix() {
				t.Errorf("sid %q auth_time %d: want a sid and auth_time %d", c.Sid, c.AuthTime, e.clock.Now().Unix())
			}

			info, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("UserInfo: %v", err)
			}
			if info.Subject != idt.Subject || info.Email != tt.user+"@example.com" {
				t.Errorf("userinfo: got sub %q email %q, want %q %s@example.com", info.Subject, info.Email, idt.Subject, tt.user)
			}
		})
	}
}

// code signs alice in for client with a PKCE verifier and scope, returning the code.
func (e *env) code(t *testing.T, client, verifier, scope string) string {
	t.Helper()
	params := codeParams(client, verifier)
	params.Set("scope", scope)
	code := redirectParams(t, must(e.login(t, testenv.NewClient(t, false), params, "alice", "alice", "login"))).Get("code")
	if code == "" {
		t.Fatal("no code in the redirect")
	}
	return code
}

// tokenCall posts form to the token endpoint, with basic credentials when user is set.
func (e *env) tokenCall(t *testing.T, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.p.Issuer()+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, body := fetch(t, e.srv.Client(), req)
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("token response %q: %v", body, err)
	}
	return resp.StatusCode, out
}

func TestTokenEndpointRefusals(t *testing.T) {
	e := start(t, nil)
	good := strings.Repeat("a", 43)
	redeem := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}, "code_verifier": {good}}
	}
	tests := []struct {
		name       string
		user, pass string
		form       func(t *testing.T) url.Values
		wantStatus int
		wantError  string
	}{
		{"verifier mismatch", "gateway", rpSecret, func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			f.Set("code_verifier", strings.Repeat("b", 43))
			return f
		}, 400, "invalid_grant"},
		{"verifier missing", "gateway", rpSecret, func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			f.Del("code_verifier")
			return f
		}, 400, "invalid_grant"},
		{"code reuse", "gateway", rpSecret, func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			if status, out := e.tokenCall(t, "gateway", rpSecret, f); status != 200 {
				t.Fatalf("first redemption: got %d %v, want 200", status, out)
			}
			return f
		}, 400, "invalid_grant"},
		{"expired code", "gateway", rpSecret, func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			e.clock.Advance(61 * time.Second)
			return f
		}, 400, "invalid_grant"},
		{"redirect_uri differs", "gateway", rpSecret, func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			f.Set("redirect_uri", rpHome)
			return f
		}, 400, "invalid_grant"},
		{"code of another client", "", "", func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			f.Set("client_id", "spa")
			return f
		}, 400, "invalid_grant"},
		{"wrong secret basic", "gateway", "nope", func(t *testing.T) url.Values {
			return redeem(e.code(t, "gateway", good, "openid"))
		}, 401, "invalid_client"},
		{"wrong secret post", "", "", func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			f.Set("client_id", "gateway")
			f.Set("client_secret", "nope")
			return f
		}, 401, "invalid_client"},
		{"confidential without secret", "", "", func(t *testing.T) url.Values {
			f := redeem(e.code(t, "gateway", good, "openid"))
			f.Set("client_id", "gateway")
			return f
		}, 401, "invalid_client"},
		{"unknown grant type", "gateway", rpSecret, func(t *testing.T) url.Values {
			return url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice"}}
		}, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.tokenCall(t, tt.user, tt.pass, tt.form(t))
			if status != tt.wantStatus || out["error"] != tt.wantError {
				t.Errorf("got %d %v, want %d error=%s", status, out, tt.wantStatus, tt.wantError)
			}
			if out["id_token"] != nil || out["access_token"] != nil {
				t.Errorf("got tokens in an error response: %v", out)
			}
		})
	}
}

func TestRefreshRotationAndDisableUser(t *testing.T) {
	e := start(t, nil)
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	_, verifier := e.verifier(t, "gateway")
	pkce := strings.Repeat("r", 43)
	code := e.code(t, "gateway", pkce, "openid email offline_access")
	status, first := e.tokenCall(t, "gateway", rpSecret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}, "code_verifier": {pkce},
	})
	rt1, _ := first["refresh_token"].(string)
	if status != 200 || rt1 == "" {
		t.Fatalf("code exchange: got %d %v, want 200 with a refresh_token", status, first)
	}

	refresh := func(rt string) (int, map[string]any) {
		return e.tokenCall(t, "gateway", rpSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	e.clock.Advance(time.Minute)
	status, second := refresh(rt1)
	rt2, _ := second["refresh_token"].(string)
	if status != 200 || rt2 == "" || rt2 == rt1 {
		t.Fatalf("refresh: got %d %v, want 200 with a new refresh_token", status, second)
	}
	idt, err := verifier.Verify(ctx, second["id_token"].(string))
	if err != nil {
		t.Fatalf("refreshed id_token: %v", err)
	}
	if idt.Nonce != "" || !idt.IssuedAt.Equal(e.clock.Now()) {
		t.Errorf("refreshed id_token: got nonce %q iat %v, want no nonce and iat %v", idt.Nonce, idt.IssuedAt, e.clock.Now())
	}
	if status, out := refresh(rt1); status != 400 || out["error"] != "invalid_grant" {
		t.Errorf("reuse of rotated refresh token: got %d %v, want 400 invalid_grant", status, out)
	}

	if err := e.p.DisableUser("alice"); err != nil {
		t.Fatal(err)
	}
	if status, out := refresh(rt2); status != 400 || out["error"] != "invalid_grant" {
		t.Errorf("refresh of a disabled user: got %d %v, want 400 invalid_grant", status, out)
	}
	prov, _ := e.verifier(t, "gateway")
	_, err = prov.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: second["access_token"].(string)}))
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("userinfo of a disabled user: got %v, want a 401", err)
	}
}

func TestTokenHookAndExtraClaims(t *testing.T) {
	e := start(t, func(o *Options) {
		o.Users[0].Extra = map[string]any{"cognito:groups": []string{"admins"}}
		o.TokenHook = func(c map[string]any) { c["iss"] = "https://other.example" }
	})
	code := e.code(t, "spa", strings.Repeat("h", 43), "openid")
	status, out := e.tokenCall(t, "", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {"spa"},
		"code": {code}, "redirect_uri": {rpCallback}, "code_verifier": {strings.Repeat("h", 43)}})
	if status != 200 {
		t.Fatalf("exchange: got %d %v, want 200", status, out)
	}
	raw := out["id_token"].(string)
	c := testenv.JWTClaims(t, raw)
	if got, _ := json.Marshal(c["cognito:groups"]); string(got) != `["admins"]` {
		t.Errorf("cognito:groups: got %s, want [\"admins\"]", got)
	}
	_, verifier := e.verifier(t, "spa")
	if _, err := verifier.Verify(context.Background(), raw); err == nil || !strings.Contains(err.Error(), "different provider") {
		t.Errorf("token whose iss the hook changed: got %v, want an issuer mismatch", err)
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	e := start(t, nil)
	prov, _ := e.verifier(t, "gateway")
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	cc := clientcredentials.Config{ClientID: "gateway", ClientSecret: rpSecret, TokenURL: prov.Endpoint().TokenURL,
		Scopes: []string{"https://graph.example/.default"}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	info, ok := e.p.LookupAccessToken(tok.AccessToken)
	if !ok || info.Username != "" || info.ClientID != "gateway" || info.Scope != "https://graph.example/.default" {
		t.Fatalf("LookupAccessToken = %+v, %v; want an application token of gateway", info, ok)
	}
	if _, ok := e.p.LookupAccessToken("forged"); ok {
		t.Fatal("a token the provider never issued was found")
	}
	cc.ClientID, cc.ClientSecret = "spa", ""
	if _, err := cc.Token(ctx); err == nil {
		t.Fatal("a public client got an application token")
	}
}
