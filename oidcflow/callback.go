package oidcflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/claims"

	"github.com/ssogate/ssogate/internal/tracing"
)

// maxCallbackBytes bounds a form_post body; an ID token is a few KiB at most.
const maxCallbackBytes = 64 << 10

// Callback is what the IdP sent to the redirect URI.
type Callback struct {
	State            string
	Code             string // pkce
	IDToken          string // implicit form_post
	Error            string
	ErrorDescription string
}

// ParseCallback reads a callback from the query (GET, code flow) or the form body
// (POST, form_post). The body is bounded. An ID token is read only from a form_post
// body: the gateway asks for no response mode that puts one in a URL, where browser
// history, Referer headers and logs would keep it.
func ParseCallback(w http.ResponseWriter, r *http.Request) (Callback, error) {
	values := r.URL.Query()
	idToken := ""
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxCallbackBytes)
		if err := r.ParseForm(); err != nil {
			return Callback{}, fmt.Errorf("reading the IdP's form_post: %w", err)
		}
		values = r.PostForm
		idToken = values.Get("id_token")
	}
	return Callback{
		State:            values.Get("state"),
		Code:             values.Get("code"),
		IDToken:          idToken,
		Error:            values.Get("error"),
		ErrorDescription: values.Get("error_description"),
	}, nil
}

// Result is a completed sign-in.
type Result struct {
	Identity      claims.Identity
	Warnings      []claims.Warning
	IDToken       string
	AccessToken   string // pkce only
	RefreshToken  string // pkce with offline_access only
	IDTokenExpiry time.Time
	// Groups says how groups the ID token lacked were looked up; nil when none were.
	Groups *GroupLookup
}

// Complete finishes the login ls with the IdP's callback cb: it checks the state,
// exchanges the code (pkce), verifies the ID token and normalises its claims.
func (f *Flow) Complete(ctx context.Context, ls LoginState, cb Callback) (*Result, error) {
	if cb.Error != "" {
		return nil, &IdPError{Code: cb.Error, Description: cb.ErrorDescription}
	}
	if err := f.checkState(ls, cb.State); err != nil {
		return nil, err
	}
	var raw, access, refresh string
	switch ls.Method {
	case MethodPKCE:
		if cb.Code == "" || cb.IDToken != "" {
			return nil, ErrWrongFlow
		}
		tok, err := f.exchange(ctx, ls, cb.Code)
		if err != nil {
			return nil, err
		}
		raw, _ = tok.Extra("id_token").(string)
		access, refresh = tok.AccessToken, tok.RefreshToken
	default:
		if cb.IDToken == "" || cb.Code != "" {
			return nil, ErrWrongFlow
		}
		raw = cb.IDToken
	}
	if raw == "" {
		return nil, ErrNoIDToken
	}
	// A key rotated just before this sign-in: wait for the next permitted JWKS fetch.
	tok, rawClaims, err := f.verifyIDToken(WithKeyRotationWait(ctx), raw, verifyOptions{nonce: ls.Nonce, accessToken: access, code: cb.Code, login: true})
	if err != nil {
		return nil, err
	}
	rawClaims, lookup := f.lookupGroups(ctx, rawClaims, access)
	id, warnings, err := f.opts.Normalizer.Identity(tok.Issuer, rawClaims)
	if err != nil {
		return nil, &TokenError{Reason: "claims", Err: err}
	}
	return &Result{Identity: id, Warnings: warnings, IDToken: raw, AccessToken: access, RefreshToken: refresh,
		IDTokenExpiry: tok.Expiry, Groups: lookup}, nil
}

// exchange trades the code for tokens, with the PKCE verifier.
func (f *Flow) exchange(ctx context.Context, ls LoginState, code string) (*oauth2.Token, error) {
	cfg := f.oauth
	cfg.RedirectURL = ls.RedirectURI
	tok, err := cfg.Exchange(oidc.ClientContext(tracing.IdPCall(ctx, tracing.IdPToken), f.opts.HTTPClient), code, oauth2.VerifierOption(ls.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return nil, fmt.Errorf("token endpoint: %w", &IdPError{Code: re.ErrorCode, Description: re.ErrorDescription})
		}
		return nil, fmt.Errorf("token endpoint: %w", err)
	}
	return tok, nil
}
