package oidcflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ssogate/ssogate/claims"
)

// LogoutToken is a verified OpenID Connect Back-Channel Logout token.
type LogoutToken struct {
	Issuer    string
	Subject   string // may be empty when SessionID is set
	SessionID string // may be empty when Subject is set
	JTI       string
	IssuedAt  time.Time
	Expiry    time.Time
}

// VerifyLogoutToken checks a back-channel logout token as OpenID Connect Back-Channel
// Logout 1.0 §2.6 says: signature, iss, aud, iat, exp, the backchannel-logout event,
// sub or sid, no nonce, a jti, and (when present) typ "logout+jwt". Replays of the jti
// are the caller's to refuse, since only it knows which tokens it has seen.
func (f *Flow) VerifyLogoutToken(ctx context.Context, raw string) (*LogoutToken, error) {
	if typ := strings.ToLower(headerField(raw, "typ")); typ != "" && typ != "logout+jwt" && typ != "jwt" {
		return nil, &TokenError{Kind: "logout token", Reason: "typ", Err: fmt.Errorf("token type %q is not a logout token", typ)}
	}
	tok, err := f.verifier.VerifyLogout(ctx, raw)
	if err != nil {
		return nil, &TokenError{Kind: "logout token", Reason: logoutReason(err), Err: err}
	}
	if f.tenantTemplated() {
		var tc tokenClaims
		if err := tok.Claims(&tc); err != nil || !claims.EntraIssuerMatches(f.disc.Issuer, tok.Issuer, tc.TID) {
			return nil, &TokenError{Kind: "logout token", Reason: "issuer", Err: fmt.Errorf("issuer %q does not match the token's tenant", tok.Issuer)}
		}
	}
	now := f.opts.Now()
	if tok.IssuedAt.IsZero() {
		return nil, &TokenError{Kind: "logout token", Reason: "iat", Err: fmt.Errorf("logout token has no iat")}
	}
	if tok.IssuedAt.After(now.Add(f.opts.ClockSkew)) || tok.IssuedAt.Before(now.Add(-f.opts.LoginTTL-f.opts.ClockSkew)) {
		return nil, &TokenError{Kind: "logout token", Reason: "iat", Err: fmt.Errorf("logout token issued at %s, outside the accepted window", tok.IssuedAt)}
	}
	return &LogoutToken{Issuer: tok.Issuer, Subject: tok.Subject, SessionID: tok.SessionID, JTI: tok.TokenID,
		IssuedAt: tok.IssuedAt, Expiry: tok.Expiry}, nil
}

// Issuer returns the IdP's issuer as discovery states it.
func (f *Flow) Issuer() string { return f.disc.Issuer }

func logoutReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "backchannel-logout event"):
		return "events"
	case strings.Contains(msg, "nonce"):
		return "nonce"
	case strings.Contains(msg, "jti"):
		return "jti"
	case strings.Contains(msg, "'sub' claim, a 'sid'"):
		return "sub_sid"
	case strings.Contains(msg, "different provider"):
		return "issuer"
	case strings.Contains(msg, "audience"):
		return "audience"
	}
	return verifyReason(err)
}
