package oidcflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssogate/ssogate/claims"
)

// Bearer is a verified bearer token: the identity it carries and when it was issued,
// which the revocation checks compare with logouts.
type Bearer struct {
	Identity claims.Identity
	IssuedAt time.Time
	Expiry   time.Time
}

// VerifyBearer verifies a JWT a machine client sent as "Authorization: Bearer": signed by
// the configured IdP, issued for this client (aud), unexpired, and typed as an ID token
// or an access token ("JWT", "at+jwt" or no typ). Other typed tokens, such as logout
// tokens (logout+jwt), and any token with an events claim (a logout token that omits its
// typ) are refused so they cannot stand in for a sign-in. No nonce applies.
func (f *Flow) VerifyBearer(ctx context.Context, raw string) (Bearer, error) {
	switch typ := strings.ToLower(headerField(raw, "typ")); typ {
	case "", "jwt", "at+jwt", "application/at+jwt":
	default:
		return Bearer{}, &TokenError{Kind: "bearer token", Reason: "typ", Err: fmt.Errorf("token type %q is not accepted as a bearer token", typ)}
	}
	tok, rawClaims, err := f.verifyIDToken(ctx, raw, verifyOptions{})
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			te.Kind = "bearer token"
		}
		return Bearer{}, err
	}
	if _, ok := rawClaims["events"]; ok {
		return Bearer{}, &TokenError{Kind: "bearer token", Reason: "events", Err: errors.New("a token with an events claim (a logout token) is not a credential")}
	}
	id, _, err := f.opts.Normalizer.Identity(tok.Issuer, rawClaims)
	if err != nil {
		return Bearer{}, &TokenError{Kind: "bearer token", Reason: "claims", Err: err}
	}
	return Bearer{Identity: id, IssuedAt: tok.IssuedAt, Expiry: tok.Expiry}, nil
}

// headerField returns a string field of a compact JWS's protected header, or "".
func headerField(raw, name string) string {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h map[string]any
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	s, _ := h[name].(string)
	return s
}
