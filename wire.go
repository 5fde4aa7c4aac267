package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/ops"
	"github.com/ssogate/ssogate/proxy"
	"github.com/ssogate/ssogate/restore"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/settings"
	"github.com/ssogate/ssogate/web"
)

// gateway is every part of a running gateway, wired from one Config.
type gateway struct {
	public  http.Handler
	ops     http.Handler
	flows   *oidcflow.Manager // nil with LOCAL_RESTORE
	restore *restore.Handler  // nil without LOCAL_RESTORE
	live    *config.Manager
	idp     *http.Client
	metrics *ops.Metrics
	// tokenNow is the clock the IdP's tokens are checked against (clock.go).
	tokenNow func() time.Time
	// countSessions reports live sessions where the store knows them; nil with cookies.
	countSessions func(context.Context) (int64, error)
	closers       []func() error
}

// Close releases the gateway's connections (the Redis client).
func (g *gateway) Close() error {
	var errs []error
	for _, c := range g.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// wire builds the gateway's parts from cfg. load rebuilds a configuration with given
// saved settings on top, for the settings page.
func wire(cfg config.Config, load func(config.Saved) (config.Config, error), tr *tracing.Tracing, logger *slog.Logger,
	accessLog func(context.Context, proxy.AccessLine)) (*gateway, error) {
	g := &gateway{idp: newIdPClient()}
	registry := ops.NewRegistry()
	g.metrics = ops.NewMetrics(registry)
	idpCall := func(r *http.Request) string { return tracing.IdPCallFrom(r.Context()) }
	g.idp.Transport = tr.Transport(ops.InstrumentIdP(g.idp.Transport, g.metrics, idpCall))

	secret := []byte(cfg.CookieSecret.Reveal())
	if len(secret) == 0 {
		var err error
		if secret, err = session.LoadOrCreateSecret(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	codec, err := session.NewCodec(secret)
	if err != nil {
		return nil, fmt.Errorf("COOKIE_SECRET: %w", err)
	}
	sealer, err := config.NewSealer(secret)
	if err != nil {
		return nil, fmt.Errorf("COOKIE_SECRET: %w", err)
	}
	secure := cfg.HTTPS()
	storeClock, err := sessionClock(logger)
	if err != nil {
		return nil, err
	}
	if g.tokenNow, err = tokenClock(logger); err != nil {
		return nil, err
	}
	stores, err := newSessionStores(cfg, codec, secure, storeClock, g.metrics, logger)
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, stores.close)
	renderer, err := web.New()
	if err != nil {
		return nil, err
	}
	signer, err := newSigner(cfg)
	if err != nil {
		return nil, err
	}
	protector := csrf.New(secure)

	opts := proxy.Options{
		Sessions: restore.Sessions{Store: stores.store}, Codec: codec, Renderer: renderer, Logger: logger, AccessLog: accessLog,
		Upstream: cfg.UpstreamURL, PublicURL: cfg.PublicURL, Trusted: cfg.TrustedProxies,
		AllowedRedirectDomains: cfg.AllowedRedirectDomains, SessionLength: cfg.SessionLength,
		Secure: secure, APIKeyPassthrough: cfg.APIKeyPassthrough, PublicPaths: cfg.PublicPaths,
		Assertions: assertion.NewCache(signer, assertion.DefaultCacheBytes), JWKS: signer.JWKSHandler(),
		Server: stores.server, Revoker: stores.revoker, RefreshInterval: cfg.RefreshInterval, CookieSessions: stores.server == nil,
		Hooks: g.hooks(), CSRF: protector,
	}
	checks := []ops.Check{{Name: "settings", Func: func(context.Context) error { return g.live.Current().SavedError }}}
	if stores.ping != nil {
		checks = append(checks, ops.Check{Name: stores.check, Func: stores.ping})
		g.countSessions = stores.count
	}
	if cfg.LocalRestore {
		g.restore, err = restore.New(restore.Options{Sessions: stores.store, Renderer: renderer, Logger: logger,
			CSRF: protector, SessionLength: cfg.SessionLength, Banner: restore.BannerText})
		if err != nil {
			return nil, err
		}
		opts.Restore, opts.Banner, opts.LoginDisabled = g.restore, restore.BannerText, true
		opts.Sessions = restore.Sessions{Store: stores.store, Run: g.restore.RunID()}
	} else {
		g.flows = oidcflow.NewManager(oidcflow.ManagerOptions{
			Build: func(ctx context.Context) (*oidcflow.Flow, error) {
				return oidcflow.New(ctx, g.flowOptions(cfg, logger))
			},
			OnAttempt: discoveryLogger(cfg, logger),
		})
		opts.Flows = g.flows
		checks = append(checks, ops.Check{Name: "idp", Func: g.flows.Ready})
	}
	if cfg.LocalRestore {
		// DESIGN §3: LOCAL_RESTORE is always ready. SSO is off on purpose, and the pod
		// must stay in its Service so the admin can reach /oidc/restore and fix things.
		checks = nil
	}
	g.live = config.NewManager(cfg, g.prepare(logger))
	opts.LiveRules, opts.LiveRoles = g.live.Rules, g.live.Roles
	opts.Settings, err = settings.New(settings.Options{
		Live: g.live, Load: load, DataDir: cfg.DataDir, Sealer: sealer, HTTPClient: g.idp, Renderer: renderer, Logger: logger, CSRF: protector, Banner: opts.Banner,
	})
	if err != nil {
		return nil, err
	}
	gw, err := proxy.New(opts)
	if err != nil {
		return nil, err
	}
	g.public = tr.Handler(gw, func(r *http.Request) string { return r.Method + " " + proxy.RouteClass(r.URL.Path) })
	g.ops = ops.New(ops.Options{Checks: checks, Registry: registry, Logger: logger}).Handler()
	return g, nil
}

// prepare readies what a configuration saved on the settings page needs before the
// live-config Manager swaps it in: a complete new sign-in flow, built and swapped in;
// if that fails the old one stays and the page says why. With LOCAL_RESTORE the IdP
// is not contacted: the settings take effect at the next start without LOCAL_RESTORE.
func (g *gateway) prepare(logger *slog.Logger) func(context.Context, config.Config) error {
	return func(ctx context.Context, cfg config.Config) error {
		if g.flows == nil {
			return nil
		}
		return g.flows.Replace(ctx, func(ctx context.Context) (*oidcflow.Flow, error) {
			return oidcflow.New(ctx, g.flowOptions(cfg, logger))
		})
	}
}

// flowOptions are the sign-in settings of cfg.
func (g *gateway) flowOptions(cfg config.Config, logger *slog.Logger) oidcflow.Options {
	return oidcflow.Options{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret.Reveal(),
		Method: cfg.AuthMethod, Scopes: cfg.Scopes, HTTPClient: g.idp, LogoutURL: cfg.LogoutURL, TokenNow: g.tokenNow,
		AllowedTenants: cfg.AllowedTenants, GraphURL: cfg.GraphURL, GroupNames: cfg.EntraGroupNames,
		Normalizer: claims.Normalizer{GroupsClaim: cfg.GroupsClaim, UsernameClaim: cfg.UsernameClaim, Provider: cfg.Provider,
			RoleMap: cfg.RoleMap, DefaultRole: cfg.DefaultRole, InsecureAllowUnverifiedEmail: cfg.InsecureAllowUnverifiedEmail},
		OnJWKSFetch: func(err error) {
			g.metrics.JWKSRefreshes.Inc()
			if err != nil {
				logger.Warn("fetching the IdP's signing keys failed", "error", err.Error())
			}
		},
	}
}

// hooks feed the gateway's events into the Prometheus metrics.
func (g *gateway) hooks() proxy.Hooks {
	m := g.metrics
	return proxy.Hooks{
		Request: func(class string, status int, _ time.Duration) {
			m.Request(class, status)
		},
		Upstream:     m.Upstream,
		SignIn:       m.SignIn,
		TokenFailure: m.TokenFailure,
		GroupLookup:  m.GroupLookup,
	}
}

// discoveryLogger reports each discovery attempt.
func discoveryLogger(cfg config.Config, logger *slog.Logger) func(error, time.Duration) {
	return func(err error, retryIn time.Duration) {
		if err == nil {
			logger.Info("identity provider ready", "issuer", cfg.Issuer, "auth_method", cfg.AuthMethod)
			return
		}
		logger.Warn("identity provider not ready; retrying", "issuer", cfg.Issuer, "error", err.Error(), "retry_in", retryIn.String())
	}
}

// newIdPClient is the HTTP client for every call to the identity provider. It honours
// HTTPS_PROXY/NO_PROXY, for networks whose egress goes through a proxy.
func newIdPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16,
		TLSHandshakeTimeout: 5 * time.Second, IdleConnTimeout: 90 * time.Second,
	}}
}

// newSigner loads (or creates once, in DATA_DIR) the key that signs identity assertions.
func newSigner(cfg config.Config) (*assertion.Signer, error) {
	var key, previous jwk.Key
	var err error
	if cfg.SigningKeyFile != "" {
		if key, err = assertion.LoadKeyFile(cfg.SigningKeyFile); err != nil {
			return nil, fmt.Errorf("SIGNING_KEY_FILE=%q: %w", cfg.SigningKeyFile, err)
		}
	} else if key, err = assertion.LoadOrCreateKey(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("the signing key in DATA_DIR=%q: %w; make DATA_DIR a directory the gateway can write (shared by all replicas), or set SIGNING_KEY_FILE", cfg.DataDir, err)
	}
	if cfg.SigningKeyPreviousFile != "" {
		if previous, err = assertion.LoadKeyFile(cfg.SigningKeyPreviousFile); err != nil {
			return nil, fmt.Errorf("SIGNING_KEY_PREVIOUS_FILE: %w", err)
		}
	}
	issuer, audience := cfg.AssertionIssuer()
	return assertion.NewSigner(assertion.SignerOptions{Key: key, Previous: previous, Issuer: issuer, Audience: audience, TTL: 5 * time.Minute})
}
