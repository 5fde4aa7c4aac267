package oidcflow

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestRefresh(t *testing.T) {
	env := startIdP(t, nil)
	o := env.options(MethodPKCE)
	o.Scopes = []string{"openid", "profile", "email", "offline_access"}
	f := newFlow(t, o)
	ls, authURL := f.Start("/", redirectURI)
	login, err := f.Complete(context.Background(), ls, callbackFrom(t, browserLogin(t, authURL, "alice", "alice", "login")))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}

	// An hour later (long after the login's nonce and iat window) the session refreshes.
	env.clock.Advance(time.Hour)
	res, err := f.Refresh(context.Background(), login.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	checkAlice(t, res)
	if res.RefreshToken == "" || res.RefreshToken == login.RefreshToken {
		t.Errorf("refresh token after Refresh = %q, want a new one (the IdP rotates)", res.RefreshToken)
	}
	if res.AccessToken == "" || res.AccessToken == login.AccessToken {
		t.Errorf("access token after Refresh = %q, want a new one", res.AccessToken)
	}
	if want := env.clock.Now().Add(time.Hour); !res.IDTokenExpiry.Equal(want) {
		t.Errorf("IDTokenExpiry = %v, want %v", res.IDTokenExpiry, want)
	}

	// The rotated-out token is refused: the session must end.
	_, err = f.Refresh(context.Background(), login.RefreshToken)
	var ie *IdPError
	if !errors.Is(err, ErrRefreshRejected) || !errors.As(err, &ie) || ie.Code != "invalid_grant" {
		t.Fatalf("Refresh with a rotated-out token = %v, want ErrRefreshRejected with the IdP's invalid_grant", err)
	}

	if err := env.idp.DisableUser("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Refresh(context.Background(), res.RefreshToken); !errors.Is(err, ErrRefreshRejected) {
		t.Fatalf("Refresh for a disabled user = %v, want ErrRefreshRejected", err)
	}

	// An IdP that cannot be reached is not a refusal: the session may stay.
	env.srv.Close()
	if _, err := f.Refresh(context.Background(), res.RefreshToken); err == nil || errors.Is(err, ErrRefreshRejected) {
		t.Fatalf("Refresh with the IdP down = %v, want an error other than ErrRefreshRejected", err)
	}
}

// TestRefusesRefresh: which error answers to a refresh end the session. Dex answers an
// unknown, spent or expired refresh token with 400 invalid_request, and a failure of its
// own storage with 500 invalid_request.
func TestRefusesRefresh(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   bool
	}{
		{"invalid_grant", 400, true},
		{"unauthorized_client", 400, true},
		{"invalid_grant", 401, true},
		{"invalid_request", 400, true},
		{"invalid_request", 500, false},
		{"invalid_client", 401, false},
		{"server_error", 500, false},
		{"temporarily_unavailable", 503, false},
		{"", 502, false},
	} {
		re := &oauth2.RetrieveError{Response: &http.Response{StatusCode: tc.status}, ErrorCode: tc.code}
		if got := refusesRefresh(re); got != tc.want {
			t.Errorf("refusesRefresh(%d %q) = %v, want %v", tc.status, tc.code, got, tc.want)
		}
	}
	if refusesRefresh(&oauth2.RetrieveError{ErrorCode: "invalid_request"}) {
		t.Error("refusesRefresh(invalid_request without a response) = true, want false")
	}
}
