package oidcflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/internal/tracing"
)

// ErrRefreshRejected means the IdP refused the refresh token (invalid_grant): the user
// was disabled, signed out or the grant was revoked. The session must end.
var ErrRefreshRejected = errors.New("oidcflow: the identity provider refused to refresh the session")

// Refresh re-validates a session at the IdP with its refresh token and returns the
// fresh identity and tokens. The IdP may rotate the refresh token: the caller must
// store Result.RefreshToken and must not run two refreshes of one session at once.
// When the IdP returns no new ID token, Result.Identity is the zero value and the
// caller keeps the identity it has.
func (f *Flow) Refresh(ctx context.Context, refreshToken string) (*Result, error) {
	src := f.oauth.TokenSource(oidc.ClientContext(tracing.IdPCall(ctx, tracing.IdPRefresh), f.opts.HTTPClient), &oauth2.Token{RefreshToken: refreshToken})
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && refusesRefresh(re) {
			return nil, fmt.Errorf("%w: %w", ErrRefreshRejected, &IdPError{Code: re.ErrorCode, Description: re.ErrorDescription})
		}
		return nil, fmt.Errorf("refreshing at the token endpoint: %w", err)
	}
	res := &Result{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	if res.RefreshToken == "" {
		res.RefreshToken = refreshToken // the IdP does not rotate
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return res, nil
	}
	idt, rawClaims, err := f.verifyIDToken(ctx, raw, verifyOptions{accessToken: tok.AccessToken})
	if err != nil {
		return nil, err
	}
	rawClaims, res.Groups = f.lookupGroups(ctx, rawClaims, tok.AccessToken)
	id, warnings, err := f.opts.Normalizer.Identity(idt.Issuer, rawClaims)
	if err != nil {
		return nil, &TokenError{Reason: "claims", Err: err}
	}
	res.Identity, res.Warnings, res.IDToken, res.IDTokenExpiry = id, warnings, raw, idt.Expiry
	return res, nil
}

// refusesRefresh reports whether the token endpoint's error answer to a refresh is a
// refusal that trying again cannot change: invalid_grant or unauthorized_client (RFC
// 6749 §5.2), or invalid_request with status 400, which Dex answers for a refresh token
// it does not know, that was already spent or that expired. A 5xx invalid_request (Dex's
// answer when its storage or upstream connector fails) is an outage, not a refusal.
func refusesRefresh(re *oauth2.RetrieveError) bool {
	switch re.ErrorCode {
	case "invalid_grant", "unauthorized_client":
		return true
	case "invalid_request":
		return re.Response != nil && re.Response.StatusCode == http.StatusBadRequest
	}
	return false
}
