package testidp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

func TestImplicitFormPost(t *testing.T) {
	e := start(t, nil)
	params := url.Values{
		"client_id": {"gateway"}, "redirect_uri": {rpCallback}, "response_type": {"id_token"},
		"response_mode": {"form_post"}, "scope": {"openid profile email"},
		"state": {"st-<&>"}, "nonce": {"nonce-42"},
	}
	resp, page := e.login(t, testenv.NewClient(t, false), params, "jisoo", "jisoo", "login")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200 with the auto-submit form", resp.StatusCode)
	}
	for _, want := range []string{"<noscript>", "document.forms[0].submit()"} {
		if !strings.Contains(page, want) {
			t.Errorf("form_post page lacks %q:\n%s", want, page)
		}
	}
	action, fields := testenv.ParseForm(t, page)
	if action != rpCallback {
		t.Errorf("form action: got %q, want %q", action, rpCallback)
	}
	if got, want := fields.Get("state"), "st-<&>"; got != want {
		t.Errorf("state: got %q, want %q", got, want)
	}
	_, verifier := e.verifier(t, "gateway")
	idt, err := verifier.Verify(context.Background(), fields.Get("id_token"))
	if err != nil {
		t.Fatalf("verify id_token: %v", err)
	}
	var c struct {
		Name   string   `json:"name"`
		Groups []string `json:"groups"`
		AtHash *string  `json:"at_hash"`
	}
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "nonce-42" || c.Name != "김지수" || strings.Join(c.Groups, ",") != "ml-team" {
		t.Errorf("claims: got nonce %q name %q groups %v, want nonce-42 김지수 [ml-team]", idt.Nonce, c.Name, c.Groups)
	}
	if c.AtHash != nil {
		t.Errorf("at_hash: got %q, want none without an access token", *c.AtHash)
	}
}

func TestAuthorizeRefusesWithoutRedirect(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		name string
		mod  func(url.Values)
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }},
		{"unregistered redirect_uri", func(v url.Values) { v.Set("redirect_uri", "http://evil.example/cb") }},
		{"redirect_uri prefix match", func(v url.Values) { v.Set("redirect_uri", rpCallback+"/x") }},
		{"missing redirect_uri", func(v url.Values) { v.Del("redirect_uri") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := codeParams("gateway", strings.Repeat("v", 43))
			tt.mod(params)
			resp, _ := get(t, testenv.NewClient(t, false), e.authURL(params))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("got status %d Location %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeErrorsRedirect(t *testing.T) {
	e := start(t, func(o *Options) { o.ResponseModes = []string{"query", "fragment"} })
	tests := []struct {
		name      string
		mod       func(url.Values)
		wantError string
	}{
		{"pkce plain", func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"pkce method missing", func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request"},
		{"pkce challenge missing", func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		{"no openid scope", func(v url.Values) { v.Set("scope", "profile") }, "invalid_scope"},
		{"token response type", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		{"unadvertised form_post", func(v url.Values) { v.Set("response_mode", "form_post") }, "invalid_request"},
		{"prompt none without session", func(v url.Values) { v.Set("prompt", "none") }, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := codeParams("gateway", strings.Repeat("v", 43))
			tt.mod(params)
			resp, _ := get(t, testenv.NewClient(t, false), e.authURL(params))
			q := redirectParams(t, resp)
			if got := q.Get("error"); got != tt.wantError {
				t.Errorf("error: got %q, want %q", got, tt.wantError)
			}
			if got := q.Get("state"); got != "st-1" {
				t.Errorf("state: got %q, want st-1", got)
			}
			if q.Get("code") != "" {
				t.Errorf("got a code %q alongside the error", q.Get("code"))
			}
		})
	}
}

func TestImplicitWithoutNonceIsRefused(t *testing.T) {
	e := start(t, nil)
	params := url.Values{
		"client_id": {"gateway"}, "redirect_uri": {rpCallback}, "response_type": {"id_token"},
		"scope": {"openid"}, "state": {"s"},
	}
	resp, _ := get(t, testenv.NewClient(t, false), e.authURL(params))
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	frag, _ := url.ParseQuery(loc.Fragment)
	if resp.StatusCode != http.StatusFound || frag.Get("error") != "invalid_request" {
		t.Errorf("got status %d fragment %q, want 302 with error=invalid_request in the fragment", resp.StatusCode, loc.Fragment)
	}
}

func TestLoginForm(t *testing.T) {
	e := start(t, func(o *Options) { o.LoginNote = "Try alice / alice." })
	resp, page := get(t, testenv.NewClient(t, false), e.authURL(codeParams("gateway", strings.Repeat("v", 43))))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	for _, want := range []string{
		`id="username"`, `id="password" name="password" type="password"`,
		`<button id="login" type="submit"`, `<button id="cancel"`, "Try alice / alice.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	action, fields := testenv.ParseForm(t, page)
	if action != e.p.Issuer()+"/authorize" {
		t.Errorf("form action: got %q, want the authorize endpoint", action)
	}
	if got, want := fields.Get("code_challenge"), s256(strings.Repeat("v", 43)); got != want {
		t.Errorf("hidden code_challenge: got %q, want %q", got, want)
	}
}

func TestWrongPasswordShowsFormAgain(t *testing.T) {
	e := start(t, nil)
	if err := e.p.DisableUser("bob"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, user, pass string }{
		{"wrong password", "alice", "bob"},
		{"unknown user", "mallory", "mallory"},
		{"disabled user", "bob", "bob"},
		{"empty password", "alice", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, page := e.login(t, testenv.NewClient(t, false), codeParams("gateway", strings.Repeat("v", 43)), tt.user, tt.pass, "login")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
				t.Fatalf("got status %d Location %q, want 200 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.Contains(page, "Invalid username or password") {
				t.Errorf("page lacks the error message:\n%s", page)
			}
			if _, fields := testenv.ParseForm(t, page); fields.Get("state") != "st-1" {
				t.Errorf("form after failure: got state %q, want the request carried on", fields.Get("state"))
			}
		})
	}
}

func TestCancelReturnsAccessDenied(t *testing.T) {
	e := start(t, nil)
	t.Run("query", func(t *testing.T) {
		resp, _ := e.login(t, testenv.NewClient(t, false), codeParams("gateway", strings.Repeat("v", 43)), "", "", "cancel")
		if got := redirectParams(t, resp).Get("error"); got != "access_denied" {
			t.Errorf("error: got %q, want access_denied", got)
		}
	})
	t.Run("form_post", func(t *testing.T) {
		params := url.Values{
			"client_id": {"gateway"}, "redirect_uri": {rpCallback}, "response_type": {"id_token"},
			"response_mode": {"form_post"}, "scope": {"openid"}, "state": {"s2"}, "nonce": {"n"},
		}
		_, page := e.login(t, testenv.NewClient(t, false), params, "", "", "cancel")
		_, fields := testenv.ParseForm(t, page)
		if fields.Get("error") != "access_denied" || fields.Get("state") != "s2" || fields.Get("id_token") != "" {
			t.Errorf("posted fields: got %v, want error=access_denied, state=s2 and no id_token", fields)
		}
	})
}

func TestPromptNoneUsesProviderSession(t *testing.T) {
	e := start(t, nil)
	c := testenv.NewClient(t, false)
	first := redirectParams(t, must(e.login(t, c, codeParams("gateway", strings.Repeat("v", 43)), "alice", "alice", "login")))
	params := codeParams("gateway", strings.Repeat("w", 43))
	params.Set("prompt", "none")
	resp, _ := get(t, c, e.authURL(params))
	second := redirectParams(t, resp)
	if second.Get("code") == "" || second.Get("code") == first.Get("code") {
		t.Errorf("prompt=none after sign-in: got %v, want a fresh code", second)
	}
}

// must drops the body of a fetch result.
func must(resp *http.Response, _ string) *http.Response { return resp }
