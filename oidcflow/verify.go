package oidcflow

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssogate/ssogate/claims"
)

type verifyOptions struct {
	nonce       string // required when login is set
	accessToken string // checked against at_hash when both are present
	code        string // checked against c_hash when both are present
	login       bool   // a token fresh from a login: nonce and iat bounds apply
}

// tokenClaims are the registered claims the gateway checks itself.
type tokenClaims struct {
	AZP    string  `json:"azp"`
	TID    string  `json:"tid"`
	CHash  string  `json:"c_hash"`
	AtHash string  `json:"at_hash"`
	IAT    float64 `json:"iat"`
}

// verifyIDToken checks raw as DESIGN §1 says and returns the token and its claims.
func (f *Flow) verifyIDToken(ctx context.Context, raw string, vo verifyOptions) (*oidc.IDToken, map[string]any, error) {
	tok, err := f.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, &TokenError{Reason: verifyReason(err), Err: err}
	}
	var tc tokenClaims
	var all map[string]any
	if err := tok.Claims(&tc); err != nil {
		return nil, nil, &TokenError{Reason: "claims", Err: err}
	}
	if err := tok.Claims(&all); err != nil {
		return nil, nil, &TokenError{Reason: "claims", Err: err}
	}
	if f.tenantTemplated() && !claims.EntraIssuerMatches(f.disc.Issuer, tok.Issuer, tc.TID) {
		return nil, nil, &TokenError{Reason: "issuer", Err: fmt.Errorf("issuer %q does not match the token's tenant %q", tok.Issuer, tc.TID)}
	}
	if err := f.checkTenant(tc.TID); err != nil {
		return nil, nil, err
	}
	if len(tok.Audience) > 1 && tc.AZP != f.opts.ClientID {
		return nil, nil, &TokenError{Reason: "audience", Err: fmt.Errorf("several audiences and azp %q is not this client", tc.AZP)}
	}
	if tc.AZP != "" && tc.AZP != f.opts.ClientID {
		return nil, nil, &TokenError{Reason: "audience", Err: fmt.Errorf("azp %q is not this client", tc.AZP)}
	}
	now := f.opts.TokenNow()
	if tok.IssuedAt.After(now.Add(f.opts.ClockSkew)) {
		return nil, nil, &TokenError{Reason: "iat", Err: fmt.Errorf("issued in the future (%s); check the clocks", tok.IssuedAt)}
	}
	if vo.login {
		if tok.IssuedAt.Before(now.Add(-f.opts.LoginTTL - f.opts.ClockSkew)) {
			return nil, nil, &TokenError{Reason: "iat", Err: fmt.Errorf("issued too long ago for a sign-in (%s); check the clocks", tok.IssuedAt)}
		}
		if tok.Nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(vo.nonce)) != 1 {
			return nil, nil, &TokenError{Reason: "nonce", Err: ErrNonceMismatch}
		}
	}
	if tc.AtHash != "" && vo.accessToken != "" {
		if err := tok.VerifyAccessToken(vo.accessToken); err != nil {
			return nil, nil, &TokenError{Reason: "at_hash", Err: err}
		}
	}
	if tc.CHash != "" && vo.code != "" {
		if err := checkHalfHash(headerField(raw, "alg"), vo.code, tc.CHash); err != nil {
			return nil, nil, &TokenError{Reason: "c_hash", Err: err}
		}
	}
	return tok, all, nil
}

// checkHalfHash verifies an OIDC c_hash: the left half of the hash of value, with the
// hash that goes with the signing algorithm. EdDSA (Ed25519) uses SHA-512, as the
// OpenID Connect working group settled and go-oidc's at_hash check does.
func checkHalfHash(alg, value, want string) error {
	var h hash.Hash
	switch {
	case strings.HasSuffix(alg, "256"):
		h = sha256.New()
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"), alg == "EdDSA":
		h = sha512.New()
	default:
		return fmt.Errorf("no hash for algorithm %q", alg)
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	if base64URL(sum[:len(sum)/2]) != want {
		return errors.New("hash does not match")
	}
	return nil
}

// verifyReason turns a go-oidc error into a short reason code.
func verifyReason(err error) string {
	var exp *oidc.TokenExpiredError
	if errors.As(err, &exp) {
		return "expired"
	}
	// go-oidc flattens the KeySet's error with %v, so ErrUnknownKey survives only as text.
	// A token whose alg is not allowed ("none", HS256) fails parsing as a "malformed
	// jwt" too: the algorithm is the more precise reason, so it is matched first.
	msg := err.Error()
	for _, c := range []struct{ substr, reason string }{
		{ErrUnknownKey.Error(), "unknown_key"},
		{errJWKSUnavailable, "jwks_unavailable"},
		{"unexpected signature algorithm", "algorithm"},
		{"malformed jwt", "malformed"},
		// A signed token whose claims have the wrong JSON types: not a signature problem.
		{"failed to unmarshal claims", "claims"},
		{"signing method", "algorithm"},
		{"different provider", "issuer"},
		{"expected audience", "audience"},
		{"nbf", "not_yet_valid"},
	} {
		if strings.Contains(msg, c.substr) {
			return c.reason
		}
	}
	return "signature"
}

// checkTenant refuses a token whose tenant ALLOWED_TENANTS does not list. A
// multi-tenant Entra issuer admits every tenant's users (and their app roles, which
// become groups), so with one the list is required and an empty list admits nobody.
func (f *Flow) checkTenant(tid string) error {
	allowed := f.opts.AllowedTenants
	if len(allowed) == 0 && !f.tenantTemplated() {
		return nil
	}
	for _, a := range allowed {
		if tid != "" && strings.EqualFold(a, tid) {
			return nil
		}
	}
	if len(allowed) == 0 {
		return &TokenError{Reason: "tenant", Err: errors.New("ALLOWED_TENANTS is required with a multi-tenant issuer")}
	}
	return &TokenError{Reason: "tenant", Err: fmt.Errorf("tenant %q is not in ALLOWED_TENANTS", tid)}
}

func issuerHasTenantPlaceholder(issuer string) bool {
	return strings.Contains(issuer, tenantPlaceholder)
}
