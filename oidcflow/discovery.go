package oidcflow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ssogate/ssogate/internal/tracing"
)

// Discovery is the part of an IdP's discovery document the gateway uses.
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	// FrontChannelLogoutSessionSupported says the IdP sends iss and sid to a
	// front-channel logout URI (OpenID Connect Front-Channel Logout 1.0 §3).
	FrontChannelLogoutSessionSupported bool `json:"frontchannel_logout_session_supported"`
}

// maxDiscoveryBytes bounds the discovery document and JWKS a gateway will read.
const maxDiscoveryBytes = 1 << 20

// tenantPlaceholder is the literal Entra ID's multi-tenant endpoints put in their issuer.
const tenantPlaceholder = "{tenantid}"

// Discover fetches and checks $issuer/.well-known/openid-configuration.
func Discover(ctx context.Context, client *http.Client, issuer string) (*Discovery, error) {
	wellKnown := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, err := getJSON(tracing.IdPCall(ctx, tracing.IdPDiscovery), client, wellKnown)
	if err != nil {
		return nil, fmt.Errorf("discovery at %s: %w", wellKnown, err)
	}
	var d Discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("discovery at %s: not a JSON discovery document: %w", wellKnown, err)
	}
	if !issuerMatches(issuer, d.Issuer) {
		return nil, &IssuerMismatchError{Configured: issuer, Discovered: d.Issuer}
	}
	var missing []string
	for name, v := range map[string]string{
		"authorization_endpoint": d.AuthorizationEndpoint,
		"jwks_uri":               d.JWKSURI,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("discovery at %s: missing %s", wellKnown, strings.Join(missing, ", "))
	}
	return &d, nil
}

// issuerMatches compares the configured issuer with the discovered one. A trailing
// slash is significant in OIDC, but operators often add or drop it, and the IdP's own
// value is what tokens carry, so only that difference is forgiven. Entra's multi-tenant
// endpoints advertise the {tenantid} placeholder; each token is then checked against
// its own tid claim.
func issuerMatches(configured, discovered string) bool {
	if strings.TrimSuffix(configured, "/") == strings.TrimSuffix(discovered, "/") {
		return true
	}
	return strings.Contains(discovered, tenantPlaceholder) && isEntraMultiTenant(configured)
}

// isEntraMultiTenant reports whether issuer is one of Entra ID's shared endpoints: its
// tenant segment (the first of its path) is "common", "organizations" or "consumers".
// The host does not matter: every Microsoft cloud (login.microsoftonline.com, .us,
// login.partner.microsoftonline.cn) has them, and the discovery document must still
// advertise the {tenantid} template, each token's iss then being checked against its tid.
func isEntraMultiTenant(issuer string) bool {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return false
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	switch strings.ToLower(tenant) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// CheckMethod reports whether the IdP offers what the auth method needs. IdPs that
// leave a list out of discovery are given the benefit of the doubt.
func (d *Discovery) CheckMethod(method string) error {
	switch method {
	case MethodImplicit:
		if len(d.ResponseTypesSupported) > 0 && !slices.Contains(d.ResponseTypesSupported, "id_token") {
			return &MethodError{Method: method, Missing: `response type "id_token"`, Fix: `enable the implicit flow (ID tokens) for this app at the IdP, or set OIDC_AUTH_METHOD=pkce`}
		}
		if len(d.ResponseModesSupported) > 0 && !slices.Contains(d.ResponseModesSupported, "form_post") {
			return &MethodError{Method: method, Missing: `response mode "form_post"`, Fix: `set OIDC_AUTH_METHOD=pkce`}
		}
	case MethodPKCE:
		if d.TokenEndpoint == "" {
			return &MethodError{Method: method, Missing: "a token_endpoint", Fix: "set OIDC_AUTH_METHOD=implicit"}
		}
		if len(d.ResponseTypesSupported) > 0 && !slices.Contains(d.ResponseTypesSupported, "code") {
			return &MethodError{Method: method, Missing: `response type "code"`, Fix: "set OIDC_AUTH_METHOD=implicit"}
		}
		if len(d.CodeChallengeMethodsSupported) > 0 && !slices.Contains(d.CodeChallengeMethodsSupported, "S256") {
			return &MethodError{Method: method, Missing: `PKCE method "S256"`, Fix: "enable PKCE (S256) for this app at the IdP, or set OIDC_AUTH_METHOD=implicit"}
		}
	default:
		return fmt.Errorf("unknown auth method %q", method)
	}
	return nil
}

// signingAlgs lists the algorithms an ID token may use: the IdP's own, never "none"
// and never HMAC (which would let a public key act as a shared secret).
func (d *Discovery) signingAlgs() []string {
	var algs []string
	for _, a := range d.IDTokenSigningAlgValuesSupported {
		if a == "none" || strings.HasPrefix(a, "HS") {
			continue
		}
		algs = append(algs, a)
	}
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}
	return algs
}

func getJSON(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Status: resp.StatusCode, Snippet: snippet(body)}
	}
	return body, nil
}

// StatusError is an IdP endpoint that answered with a status other than 200. Snippet
// is the start of its reply, for the operator's log; pages that must not echo what an
// endpoint said show only Status.
type StatusError struct {
	Status  int
	Snippet string
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Snippet) }

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
