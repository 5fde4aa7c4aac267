package oidcflow

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestParseCallback(t *testing.T) {
	form := func(target string, v url.Values) *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	bigToken := strings.Repeat("a", 60<<10)
	for _, tc := range []struct {
		name    string
		req     *http.Request
		want    Callback
		wantErr bool
	}{
		{name: "code in the query",
			req:  httptest.NewRequest(http.MethodGet, "/oidc/callback?code=c1&state=s1", nil),
			want: Callback{State: "s1", Code: "c1"}},
		{name: "error in the query",
			req:  httptest.NewRequest(http.MethodGet, "/oidc/callback?error=access_denied&error_description=User+said+no&state=s1", nil),
			want: Callback{State: "s1", Error: "access_denied", ErrorDescription: "User said no"}},
		{name: "an ID token in the query is not read",
			req:  httptest.NewRequest(http.MethodGet, "/oidc/callback?id_token=t1&state=s1", nil),
			want: Callback{State: "s1"}},
		{name: "form_post",
			req:  form("/oidc/callback", url.Values{"id_token": {"t1"}, "state": {"s1"}}),
			want: Callback{State: "s1", IDToken: "t1"}},
		{name: "form_post ignores the query",
			req:  form("/oidc/callback?state=forged&id_token=forged", url.Values{"id_token": {"t1"}, "state": {"s1"}}),
			want: Callback{State: "s1", IDToken: "t1"}},
		{name: "form_post error",
			req:  form("/oidc/callback", url.Values{"error": {"login_required"}, "state": {"s1"}}),
			want: Callback{State: "s1", Error: "login_required"}},
		{name: "large ID token within the bound",
			req:  form("/oidc/callback", url.Values{"id_token": {bigToken}, "state": {"s1"}}),
			want: Callback{State: "s1", IDToken: bigToken}},
		{name: "oversized body",
			req:     form("/oidc/callback", url.Values{"id_token": {strings.Repeat("a", maxCallbackBytes)}, "state": {"s1"}}),
			wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCallback(httptest.NewRecorder(), tc.req)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseCallback = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCallback: %v", err)
			}
			if got != tc.want {
				t.Errorf("ParseCallback = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{&TokenError{Reason: "nonce", Err: ErrNonceMismatch}, "nonce"},
		{fmt.Errorf("callback: %w", &TokenError{Reason: "audience", Err: errors.New("x")}), "audience"},
		{fmt.Errorf("token endpoint: %w", &IdPError{Code: "invalid_grant"}), "idp_invalid_grant"},
		{&oauth2.RetrieveError{Response: &http.Response{StatusCode: 500}}, "token_endpoint"},
		{fmt.Errorf("x: %w", ErrStateMismatch), "state_mismatch"},
		{ErrStateExpired, "state_expired"},
		{ErrStateReplayed, "replayed"},
		{ErrNonceMismatch, "nonce"},
		{ErrNoIDToken, "bad_response"},
		{ErrNoCode, "bad_response"},
		{ErrWrongFlow, "bad_response"},
		{fmt.Errorf("%w: dial tcp: refused", ErrNotReady), "idp_unreachable"},
		{ErrSettingsMoved, "settings_changed"},
		{errors.New("something else"), "other"},
	} {
		if got := Reason(tc.err); got != tc.want {
			t.Errorf("Reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestErrorMessagesNameTheFix(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&IssuerMismatchError{Configured: "https://acme.okta.com/", Discovered: "https://acme.okta.com/oauth2/default"},
			`OIDC_ISSUER="https://acme.okta.com/" but the IdP's discovery document says issuer "https://acme.okta.com/oauth2/default": set OIDC_ISSUER to exactly "https://acme.okta.com/oauth2/default"`},
		{&MethodError{Method: "pkce", Missing: "a token_endpoint", Fix: "set OIDC_AUTH_METHOD=implicit"},
			"OIDC_AUTH_METHOD=pkce needs a token_endpoint, which the IdP's discovery document does not list: set OIDC_AUTH_METHOD=implicit"},
		{&IdPError{Code: "access_denied"}, "identity provider error: access_denied"},
		{&TokenError{Reason: "iat", Err: errors.New("issued in the future")}, "ID token rejected (iat): issued in the future"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error()\n got %s\nwant %s", got, tc.want)
		}
	}
}
