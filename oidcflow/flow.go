// Package oidcflow speaks OpenID Connect to the identity provider: discovery, login
// requests for the implicit (form_post) and PKCE flows, the callback, ID-token
// verification with everything go-oidc leaves to its callers (nonce, azp, iat,
// at_hash/c_hash, Entra's {tenantid} issuer), a rate-limited JWKS, end-session URLs and
// lazy, retried discovery. It does not log and knows nothing of cookies.
package oidcflow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/msgraph"
)

// Auth methods, as in OIDC_AUTH_METHOD.
const (
	MethodImplicit = config.MethodImplicit
	MethodPKCE     = config.MethodPKCE
)

// Options configure a Flow. Zero durations take the documented defaults.
type Options struct {
	Issuer       string
	ClientID     string
	ClientSecret string // empty: public client
	Method       string // MethodImplicit or MethodPKCE
	Scopes       []string
	Normalizer   claims.Normalizer
	HTTPClient   *http.Client     // required; used for every call to the IdP
	Now          func() time.Time // default time.Now
	// TokenNow is the clock the IdP's tokens (ID, bearer and logout tokens: exp, iat,
	// nbf) are checked against; default Now. Only a binary built with -tags testclock
	// sets it apart from Now, to test a gateway whose clock is off the IdP's.
	TokenNow  func() time.Time
	LoginTTL  time.Duration // how long a started login stays valid; default 10m
	ClockSkew time.Duration // leeway on exp/iat; default 2m
	// JWKSMinRefresh is the shortest interval between two JWKS fetches caused by
	// unknown key IDs; default 5s. A sign-in whose kid is unknown waits for the next
	// permitted fetch (at most MaxKeyRotationWait) rather than failing.
	JWKSMinRefresh time.Duration
	OnJWKSFetch    func(error) // optional, called after each JWKS fetch (metrics)
	// LogoutURL is the OIDC_LOGOUT_URL template for IdPs without end_session_endpoint.
	LogoutURL string
	// AllowedTenants are the Entra tenant IDs (ALLOWED_TENANTS) whose tokens are
	// accepted. Set, a token's tid must be one of them; empty with a multi-tenant
	// issuer, every token is refused (the configuration requires it).
	AllowedTenants []string
	// GraphURL is Microsoft Graph's root for Entra group look-ups (MICROSOFT_GRAPH_URL);
	// "" means the issuer's cloud.
	GraphURL string
	// GroupNames turns Entra group IDs into display names (ENTRA_GROUP_NAMES).
	GroupNames bool
	// LookupTimeout bounds a sign-in's group look-up (Graph or userinfo); default 5s.
	LookupTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenNow == nil {
		o.TokenNow = o.Now
	}
	if o.LoginTTL == 0 {
		o.LoginTTL = 10 * time.Minute
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = 2 * time.Minute
	}
	if o.JWKSMinRefresh == 0 {
		o.JWKSMinRefresh = 5 * time.Second
	}
	if o.LookupTimeout == 0 {
		o.LookupTimeout = 5 * time.Second
	}
	if o.GraphURL == "" {
		o.GraphURL = msgraph.DefaultBaseURL(o.Issuer)
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	if !slices.Contains(o.Scopes, oidc.ScopeOpenID) {
		o.Scopes = append([]string{oidc.ScopeOpenID}, o.Scopes...)
	}
}

// Flow is one IdP configuration, discovered and ready. It is immutable and safe for
// concurrent use; a settings change builds a new Flow.
type Flow struct {
	opts     Options
	disc     *Discovery
	provider *oidc.Provider
	oauth    oauth2.Config // RedirectURL is set per login
	verifier *oidc.IDTokenVerifier
	keys     *KeySet
	// appTokens reads Entra groups with the client-credentials grant; nil without a
	// client secret or for other IdPs.
	appTokens *msgraph.AppTokens
}

// New discovers the IdP, checks it offers the configured method, loads its keys and
// returns a ready Flow.
func New(ctx context.Context, opts Options) (*Flow, error) {
	opts.setDefaults()
	if opts.HTTPClient == nil {
		return nil, errors.New("oidcflow: Options.HTTPClient is required")
	}
	disc, err := Discover(ctx, opts.HTTPClient, opts.Issuer)
	if err != nil {
		return nil, err
	}
	if err := disc.CheckMethod(opts.Method); err != nil {
		return nil, err
	}
	keys := NewKeySet(disc.JWKSURI, opts.HTTPClient, opts.Now, opts.JWKSMinRefresh, opts.OnJWKSFetch)
	if err := keys.Prefetch(ctx); err != nil {
		return nil, fmt.Errorf("loading the IdP's signing keys: %w", err)
	}
	algs := disc.signingAlgs()
	pc := oidc.ProviderConfig{
		IssuerURL:   disc.Issuer,
		AuthURL:     disc.AuthorizationEndpoint,
		TokenURL:    disc.TokenEndpoint,
		UserInfoURL: disc.UserInfoEndpoint,
		JWKSURL:     disc.JWKSURI,
		Algorithms:  algs,
	}
	f := &Flow{opts: opts, disc: disc, keys: keys}
	f.provider = pc.NewProvider(oidc.ClientContext(ctx, opts.HTTPClient))
	skew := opts.ClockSkew
	f.verifier = oidc.NewVerifier(disc.Issuer, keys, &oidc.Config{
		ClientID:             opts.ClientID,
		SupportedSigningAlgs: algs,
		SkipIssuerCheck:      f.tenantTemplated(), // checked against tid in verifyIDToken
		Now:                  func() time.Time { return opts.TokenNow().Add(-skew) },
	})
	f.oauth = oauth2.Config{
		ClientID:     opts.ClientID,
		ClientSecret: opts.ClientSecret,
		Scopes:       opts.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   disc.AuthorizationEndpoint,
			TokenURL:  disc.TokenEndpoint,
			AuthStyle: authStyle(disc.TokenEndpointAuthMethodsSupported, opts.ClientSecret),
		},
	}
	if opts.ClientSecret != "" && claims.Resolve(opts.Normalizer.Provider, opts.Issuer).Kind == claims.KindEntra {
		f.appTokens = &msgraph.AppTokens{ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
			AuthStyle: f.oauth.Endpoint.AuthStyle, BaseURL: opts.GraphURL, HTTP: opts.HTTPClient, Now: opts.Now,
			TokenURL: func(tenant string) string { return msgraph.TenantTokenURL(disc.TokenEndpoint, tenant) }}
	}
	return f, nil
}

// authStyle picks how the client authenticates at the token endpoint from what the
// IdP advertises: HTTP Basic when offered (the OIDC default), else form fields.
func authStyle(methods []string, secret string) oauth2.AuthStyle {
	if secret == "" {
		return oauth2.AuthStyleInParams // public client: client_id in the form, no secret
	}
	if len(methods) == 0 || slices.Contains(methods, "client_secret_basic") {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}

// Discovery returns the IdP's discovery document.
func (f *Flow) Discovery() *Discovery { return f.disc }

// Options returns the options the Flow was built with.
func (f *Flow) Options() Options { return f.opts }

// tenantTemplated reports whether the issuer is Entra's multi-tenant {tenantid} form.
func (f *Flow) tenantTemplated() bool {
	return issuerHasTenantPlaceholder(f.disc.Issuer)
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64URL(b)
}
