package oidcflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	Expiry    time.Time // zero when the IdP sent no exp (Ory Hydra)
}

// backchannelLogoutEvent is the member of a logout token's events claim that makes it one.
const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutClaims are the claims of a logout token, as OpenID Connect Back-Channel Logout
// 1.0 §2.4 lists them.
type logoutClaims struct {
	Issuer    string                     `json:"iss"`
	Subject   string                     `json:"sub"`
	Audience  audience                   `json:"aud"`
	IssuedAt  *json.Number               `json:"iat"`
	Expiry    *json.Number               `json:"exp"`
	JTI       string                     `json:"jti"`
	SessionID string                     `json:"sid"`
	TID       string                     `json:"tid"`
	Events    map[string]json.RawMessage `json:"events"`
	Nonce     json.RawMessage            `json:"nonce"`
}

// VerifyLogoutToken checks a back-channel logout token as OpenID Connect Back-Channel
// Logout 1.0 §2.6 says: signature, iss, aud, iat, the backchannel-logout event, sub or
// sid, no nonce, a jti, and (when present) typ "logout+jwt". exp is checked when present;
// a token without one (Ory Hydra sends none) is judged by its iat alone, which must lie
// within the login window. Replays of the jti are the caller's to refuse, since only it
// knows which tokens it has seen. Each refusal's Reason names the check that failed.
func (f *Flow) VerifyLogoutToken(ctx context.Context, raw string) (*LogoutToken, error) {
	refuse := func(reason, format string, args ...any) (*LogoutToken, error) {
		return nil, &TokenError{Kind: "logout token", Reason: reason, Err: fmt.Errorf(format, args...)}
	}
	if strings.Count(raw, ".") != 2 {
		return refuse("malformed", "not a compact JWS (three dot-separated parts)")
	}
	if typ := strings.ToLower(headerField(raw, "typ")); typ != "" && typ != "logout+jwt" && typ != "jwt" {
		return refuse("typ", "token type %q is not a logout token", typ)
	}
	if alg := headerField(raw, "alg"); !slices.Contains(f.disc.signingAlgs(), alg) {
		return refuse("algorithm", "signing algorithm %q is not one the IdP advertises", alg)
	}
	payload, err := f.keys.VerifySignature(WithKeyRotationWait(ctx), raw)
	if err != nil {
		return nil, &TokenError{Kind: "logout token", Reason: verifyReason(err), Err: err}
	}
	var c logoutClaims
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return refuse("claims", "claims are not a JSON object of the expected types: %v", err)
	}
	if _, ok := c.Events[backchannelLogoutEvent]; !ok {
		return refuse("events", "no %s member in events", backchannelLogoutEvent)
	}
	if len(c.Nonce) != 0 {
		return refuse("nonce", "a logout token must not carry a nonce (an ID token sent as a logout token?)")
	}
	if c.JTI == "" {
		return refuse("jti", "no jti")
	}
	if c.Subject == "" && c.SessionID == "" {
		return refuse("sub_sid", "neither sub nor sid")
	}
	if f.tenantTemplated() {
		if !claims.EntraIssuerMatches(f.disc.Issuer, c.Issuer, c.TID) {
			return refuse("issuer", "issuer %q does not match the token's tenant", c.Issuer)
		}
	} else if c.Issuer != f.disc.Issuer {
		return refuse("issuer", "issuer %q is not the IdP's %q", c.Issuer, f.disc.Issuer)
	}
	if !slices.Contains(c.Audience, f.opts.ClientID) {
		return refuse("audience", "audience %q does not include this client", []string(c.Audience))
	}
	now := f.opts.TokenNow()
	iat, err := numericDate(c.IssuedAt)
	if err != nil || iat.IsZero() {
		return refuse("iat", "no valid iat")
	}
	if iat.After(now.Add(f.opts.ClockSkew)) || iat.Before(now.Add(-f.opts.LoginTTL-f.opts.ClockSkew)) {
		return refuse("iat", "issued at %s, outside the accepted window", iat.UTC().Format(time.RFC3339))
	}
	exp, err := numericDate(c.Expiry)
	if err != nil {
		return refuse("claims", "exp is not a number")
	}
	if !exp.IsZero() && exp.Before(now.Add(-f.opts.ClockSkew)) {
		return refuse("expired", "expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return &LogoutToken{Issuer: c.Issuer, Subject: c.Subject, SessionID: c.SessionID, JTI: c.JTI,
		IssuedAt: iat, Expiry: exp}, nil
}

// Issuer returns the IdP's issuer as discovery states it.
func (f *Flow) Issuer() string { return f.disc.Issuer }

// numericDate reads a JWT NumericDate; nil is the zero time.
func numericDate(n *json.Number) (time.Time, error) {
	if n == nil {
		return time.Time{}, nil
	}
	v, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(v), 0), nil
}

// audience is the aud claim, which JWTs send as a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}
