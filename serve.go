package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/certreload"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/ops"
	"github.com/ssogate/ssogate/proxy"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// listeners lets the demo learn the addresses the gateway bound (":0" ports).
type listeners struct {
	public, ops chan<- net.Addr
}

// serve runs the gateway until ctx ends, then drains in-flight requests.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, bound *listeners) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	reg := ops.NewRegistry()
	metrics := ops.NewMetrics(reg)

	secret := []byte(cfg.CookieSecret.Reveal())
	if len(secret) == 0 {
		var err error
		if secret, err = session.LoadOrCreateSecret(cfg.DataDir); err != nil {
			return err
		}
	}
	codec, err := session.NewCodec(secret)
	if err != nil {
		return fmt.Errorf("COOKIE_SECRET: %w", err)
	}
	secure := cfg.HTTPS()
	sessions := session.NewCookieStore(session.CookieOptions{Codec: codec, Secure: secure, MaxAge: cfg.SessionLength})

	renderer, err := web.New()
	if err != nil {
		return err
	}
	signer, err := newSigner(cfg)
	if err != nil {
		return err
	}
	flows := newFlowManager(cfg, logger, metrics)
	go flows.Run(ctx)

	gw, err := proxy.New(proxy.Options{
		Flows: flows, Sessions: sessions, Codec: codec, Renderer: renderer, Logger: logger,
		Upstream: cfg.UpstreamURL, PublicURL: cfg.PublicURL, Trusted: cfg.TrustedProxies,
		AllowedRedirectDomains: cfg.AllowedRedirectDomains, SessionLength: cfg.SessionLength,
		Rules:  claims.Rules{AllowedGroups: cfg.AllowedGroups, AllowedEmailDomains: cfg.AllowedEmailDomains},
		Secure: secure, APIKeyPassthrough: cfg.APIKeyPassthrough,
		Assertions: assertion.NewCache(signer, 100_000), JWKS: signer.JWKSHandler(),
		Hooks: proxy.Hooks{
			Request: func(class string, status int, _ time.Duration) {
				metrics.Requests.WithLabelValues(class, fmt.Sprint(status)).Inc()
			},
			Upstream:     func(d time.Duration) { metrics.UpstreamLatency.Observe(d.Seconds()) },
			SignIn:       func(outcome, reason string) { metrics.SignIns.WithLabelValues(outcome, reason).Inc() },
			TokenFailure: func(reason string) { metrics.TokenFailures.WithLabelValues(reason).Inc() },
		},
	})
	if err != nil {
		return err
	}
	opsServer := ops.New(ops.Options{
		Checks:   []ops.Check{{Name: "idp", Func: flows.Ready}},
		Registry: reg, Logger: logger,
	})

	public := newServer(gw, logger)
	opsSrv := newServer(opsServer.Handler(), logger)
	if cfg.TLSCertFile != "" {
		certs, err := certreload.New(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return err
		}
		public.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
	}
	publicLn, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR=%q: %w", cfg.ListenAddr, err)
	}
	opsLn, err := net.Listen("tcp", cfg.OpsAddr)
	if err != nil {
		publicLn.Close()
		return fmt.Errorf("OPS_ADDR=%q: %w", cfg.OpsAddr, err)
	}
	if bound != nil {
		bound.public <- publicLn.Addr()
		bound.ops <- opsLn.Addr()
	}
	logger.Info("ssogate started", "version", version, "listen", publicLn.Addr().String(), "ops", opsLn.Addr().String(),
		"issuer", cfg.Issuer, "client_id", cfg.ClientID, "auth_method", cfg.AuthMethod,
		"upstream", upstreamText(cfg), "public_url", urlText(cfg.PublicURL), "session_store", storeName(cfg.SessionStore))

	errc := make(chan error, 2)
	go func() {
		if public.TLSConfig != nil {
			errc <- public.ServeTLS(publicLn, "", "")
		} else {
			errc <- public.Serve(publicLn)
		}
	}()
	go func() { errc <- opsSrv.Serve(opsLn) }()

	select {
	case err := <-errc:
		cancel()
		return fmt.Errorf("listener failed: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", "30s")
	shutdownCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
	defer done()
	err = errors.Join(public.Shutdown(shutdownCtx), opsSrv.Shutdown(shutdownCtx))
	if err == nil {
		logger.Info("shutdown complete")
	}
	return err
}

// newSigner loads (or creates once, in DATA_DIR) the key that signs identity assertions.
func newSigner(cfg config.Config) (*assertion.Signer, error) {
	var key, previous jwk.Key
	var err error
	if cfg.SigningKeyFile != "" {
		key, err = assertion.LoadKeyFile(cfg.SigningKeyFile)
	} else {
		key, err = assertion.LoadOrCreateKey(cfg.DataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if cfg.SigningKeyPreviousFile != "" {
		if previous, err = assertion.LoadKeyFile(cfg.SigningKeyPreviousFile); err != nil {
			return nil, fmt.Errorf("SIGNING_KEY_PREVIOUS_FILE: %w", err)
		}
	}
	// Without PUBLIC_URL the external URL varies by request; the assertion still needs
	// one fixed issuer, so it is "ssogate" until PUBLIC_URL is set.
	issuer := "ssogate"
	if cfg.PublicURL != nil {
		issuer = cfg.PublicURL.String()
	}
	audience := cfg.AssertionAudience
	if audience == "" {
		audience = issuer
	}
	return assertion.NewSigner(assertion.SignerOptions{Key: key, Previous: previous, Issuer: issuer, Audience: audience, TTL: 5 * time.Minute})
}

// newFlowManager discovers the IdP lazily and retries with backoff.
func newFlowManager(cfg config.Config, logger *slog.Logger, metrics *ops.Metrics) *oidcflow.Manager {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16,
		TLSHandshakeTimeout: 5 * time.Second, IdleConnTimeout: 90 * time.Second,
	}}
	opts := oidcflow.Options{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret.Reveal(),
		Method: cfg.AuthMethod, Scopes: cfg.Scopes, HTTPClient: client, LogoutURL: cfg.LogoutURL,
		Normalizer: claims.Normalizer{GroupsClaim: cfg.GroupsClaim, UsernameClaim: cfg.UsernameClaim,
			RoleMap: cfg.RoleMap, DefaultRole: cfg.DefaultRole},
		OnJWKSFetch: func(err error) {
			metrics.JWKSRefreshes.Inc()
			if err != nil {
				logger.Warn("fetching the IdP's signing keys failed", "error", err.Error())
			}
		},
	}
	return oidcflow.NewManager(oidcflow.ManagerOptions{
		Build: func(ctx context.Context) (*oidcflow.Flow, error) { return oidcflow.New(ctx, opts) },
		OnAttempt: func(err error, retryIn time.Duration) {
			if err == nil {
				logger.Info("identity provider ready", "issuer", cfg.Issuer, "auth_method", cfg.AuthMethod)
				return
			}
			logger.Warn("identity provider not ready; retrying", "issuer", cfg.Issuer, "error", err.Error(), "retry_in", retryIn.String())
		},
	})
}

// newServer returns an http.Server with limits for a gateway: headers must arrive
// quickly, but bodies, websockets and event streams may last as long as they need.
func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// newLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func upstreamText(cfg config.Config) string {
	if cfg.UpstreamURL == nil {
		return "none (forward-auth only)"
	}
	return cfg.UpstreamURL.String()
}

func storeName(s string) string {
	if strings.HasPrefix(s, "redis") {
		return "redis"
	}
	return s
}
