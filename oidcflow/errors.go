package oidcflow

import (
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/claims"
)

// Errors a callback can fail with. Handlers map them to a status and a page; Reason
// turns any of them into a short code for audit logs and metrics.
var (
	ErrStateMismatch = errors.New("oidcflow: state does not match this browser's login")
	ErrStateExpired  = errors.New("oidcflow: login expired, please sign in again")
	ErrStateReplayed = errors.New("oidcflow: login response already used")
	ErrNonceMismatch = errors.New("oidcflow: ID token nonce does not match this browser's login")
	ErrNoIDToken     = errors.New("oidcflow: the IdP returned no ID token")
	ErrNoCode        = errors.New("oidcflow: the IdP returned neither a code nor an error")
	ErrWrongFlow     = errors.New("oidcflow: the response does not fit the configured auth method")
	ErrNotReady      = errors.New("oidcflow: identity provider not reachable yet")
	ErrSettingsMoved = errors.New("oidcflow: sign-in settings changed during this login")
)

// IdPError is an error the identity provider returned to the redirect URI or the
// token endpoint, with its own code and description.
type IdPError struct {
	Code        string
	Description string
}

func (e *IdPError) Error() string {
	if e.Description == "" {
		return "identity provider error: " + e.Code
	}
	return fmt.Sprintf("identity provider error: %s: %s", e.Code, e.Description)
}

// TokenError is a token (ID token, bearer token or logout token) that failed
// verification, with a short reason code.
type TokenError struct {
	Reason string // e.g. "signature", "issuer", "audience", "expired", "nonce"
	Err    error
	Kind   string // "logout token", "bearer token"; "" means "ID token"
}

func (e *TokenError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "ID token"
	}
	return kind + " rejected (" + e.Reason + "): " + e.Err.Error()
}
func (e *TokenError) Unwrap() error { return e.Err }

// IssuerMismatchError is a discovery document whose issuer differs from the configured one.
type IssuerMismatchError struct{ Configured, Discovered string }

func (e *IssuerMismatchError) Error() string {
	if hint := claims.Detect(e.Discovered).Hint; hint != "" {
		// The IdP's own issuer is a known mistake too (an Entra v1 issuer): the fix
		// is the hint's, not that issuer.
		return fmt.Sprintf("OIDC_ISSUER=%q leads to a discovery document with issuer %q; do not set OIDC_ISSUER to that either. %s",
			e.Configured, e.Discovered, hint)
	}
	return fmt.Sprintf("OIDC_ISSUER=%q but the IdP's discovery document says issuer %q: set OIDC_ISSUER to exactly %q",
		e.Configured, e.Discovered, e.Discovered)
}

// MethodError is an auth method the IdP does not offer.
type MethodError struct{ Method, Missing, Fix string }

func (e *MethodError) Error() string {
	return fmt.Sprintf("OIDC_AUTH_METHOD=%s needs %s, which the IdP's discovery document does not list: %s",
		e.Method, e.Missing, e.Fix)
}

// Reason returns a short, stable code for err, for audit logs and metric labels.
func Reason(err error) string {
	var te *TokenError
	var ie *IdPError
	var re *oauth2.RetrieveError
	var exp *oidc.TokenExpiredError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &te):
		return te.Reason
	case errors.As(err, &ie):
		if knownIdPError(ie.Code) {
			return "idp_" + ie.Code
		}
		return "idp_other"
	case errors.As(err, &re):
		return "token_endpoint"
	case errors.As(err, &exp):
		return "expired"
	case errors.Is(err, ErrStateMismatch):
		return "state_mismatch"
	case errors.Is(err, ErrStateExpired):
		return "state_expired"
	case errors.Is(err, ErrStateReplayed):
		return "replayed"
	case errors.Is(err, ErrNonceMismatch):
		return "nonce"
	case errors.Is(err, ErrNoIDToken), errors.Is(err, ErrNoCode), errors.Is(err, ErrWrongFlow):
		return "bad_response"
	case errors.Is(err, ErrNotReady):
		return "idp_unreachable"
	case errors.Is(err, ErrSettingsMoved):
		return "settings_changed"
	}
	return "other"
}

// knownIdPError reports whether code is an error code OAuth 2.0 (RFC 6749 §4.1.2.1,
// §4.2.2.1, §5.2) or OpenID Connect Core (§3.1.2.6) defines. Reason names only these:
// anyone can put any text in ?error=, and a reason is a metric label.
func knownIdPError(code string) bool {
	switch code {
	case "access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
		"invalid_scope", "server_error", "temporarily_unavailable", "interaction_required",
		"login_required", "account_selection_required", "consent_required", "invalid_request_uri",
		"invalid_request_object", "request_not_supported", "request_uri_not_supported",
		"registration_not_supported", "invalid_grant", "invalid_client", "unsupported_grant_type":
		return true
	}
	return false
}
