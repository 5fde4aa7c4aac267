// Package proxy is the gateway's HTTP surface: the route table, middleware, the
// authenticated reverse proxy, sign-in and sign-out handlers, forward-auth and the
// handling of requests that are not signed in. Every other package plugs in here.
package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// Options wire the gateway's parts together. main fills it from config.Config.
type Options struct {
	Flows    *oidcflow.Manager // the live IdP configuration
	Sessions session.Store
	Codec    *session.Codec // seals login-state cookies
	Renderer *web.Renderer
	Logger   *slog.Logger
	// AccessLog, when set, takes each request's access line (when Logger logs at
	// slog.LevelInfo) instead of Logger: the process queues them to encode them in
	// batches (internal/logbuf).
	AccessLog func(context.Context, AccessLine)

	Upstream  *url.URL       // nil: auth-only (forward-auth) mode
	PublicURL *url.URL       // nil: derived from each request
	Trusted   []netip.Prefix // peers whose X-Forwarded-* headers are believed
	// AllowedRedirectDomains are hosts (or ".suffix") return URLs may point to besides
	// the public host.
	AllowedRedirectDomains []string
	SessionLength          time.Duration
	Rules                  claims.Rules
	// LiveRules, when set, returns the rules in force and wins over Rules; the
	// settings page changes them without a restart.
	LiveRules func() claims.Rules
	// LiveRoles, when set, returns the role mapping in force (ROLE_MAP, DEFAULT_ROLE);
	// a session's role is evaluated from its groups on every request, so a change on
	// the settings page applies to open sessions at once. Nil: the role stored at
	// sign-in stands.
	LiveRoles func() claims.Normalizer
	Secure    bool // cookies are Secure (PUBLIC_URL is https or TLS is on)
	// APIKeyPassthrough sends requests with HTTP Basic credentials upstream without
	// SSO and without identity headers (API_KEY_PASSTHROUGH).
	APIKeyPassthrough bool
	// PublicPaths are upstream paths served without sign-in and without identity
	// (PUBLIC_PATHS): exact paths, or subtrees ending in "/".
	PublicPaths []string

	// Assertions sign the identity assertion sent upstream; nil: none is sent.
	Assertions Asserter
	// JWKS serves the assertion keys at /oidc/jwks.json; nil: 404.
	JWKS http.Handler
	// Restore and Settings serve /oidc/restore and /oidc/settings; nil: 404.
	Restore, Settings http.Handler
	// CSRF protects the admin session pages' form (POST /oidc/sessions/revoke).
	CSRF *csrf.Protector
	// Banner, when set, is shown on every gateway page (LOCAL_RESTORE).
	Banner string
	// LoginDisabled explains why /oidc/login does not start an SSO login (LOCAL_RESTORE).
	LoginDisabled bool

	// CookieSessions is true when sessions live in cookies, whose size the group list
	// drives; a large list is then worth a warning.
	CookieSessions bool

	// Server is the server-side store's extra abilities (Redis); nil with cookies.
	Server ServerSessions
	// Revoker remembers IdP logouts for sessions held in cookies; nil: none.
	Revoker session.Revoker
	// RefreshInterval is how often a session with a refresh token re-validates at
	// the IdP (REFRESH_INTERVAL); 0 means never.
	RefreshInterval time.Duration

	Hooks Hooks
	Now   func() time.Time
}

// Asserter returns the signed identity assertion of a session, reusing it while it is
// fresh (assertion.Cache), and forgets a session that ended.
type Asserter interface {
	Get(id claims.Identity, sessionID string) (string, error)
	Forget(sessionID string)
}

// Hooks let the caller observe the gateway (metrics). Any of them may be nil.
// Upstream is called once per proxied request, with the status the client got (the
// upstream's, or 502 when it could not be reached) and how long it took.
type Hooks struct {
	Request      func(routeClass string, status int, elapsed time.Duration)
	Upstream     func(status int, elapsed time.Duration)
	SignIn       func(outcome, reason string)
	TokenFailure func(reason string)
	GroupLookup  func(source, outcome string)
}

func (o *Options) check() error {
	var errs []error
	if o.Flows == nil && !o.LoginDisabled {
		errs = append(errs, errors.New("proxy: Options.Flows is required"))
	}
	if o.Sessions == nil || o.Codec == nil || o.Renderer == nil || o.Logger == nil {
		errs = append(errs, errors.New("proxy: Options.Sessions, Codec, Renderer and Logger are required"))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionLength == 0 {
		o.SessionLength = 720 * time.Hour
	}
	return errors.Join(errs...)
}
