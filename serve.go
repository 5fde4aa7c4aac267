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
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/certreload"
	"github.com/ssogate/ssogate/internal/logbuf"
	"github.com/ssogate/ssogate/internal/memlimit"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/proxy"
	"github.com/ssogate/ssogate/restore"
)

// serve runs the gateway until ctx ends, then drains in-flight requests. load rebuilds
// the configuration with given saved settings, for the settings page; tr is tracing
// (nil: off); stderr receives the break-glass password too when logs are JSON.
func serve(ctx context.Context, cfg config.Config, load func(config.Saved) (config.Config, error), tr *tracing.Tracing,
	logger *slog.Logger, accessLog func(context.Context, proxy.AccessLine), stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.SavedError != nil {
		logger.Error("saved settings were NOT applied; running on the environment's settings. Fix or remove the file, or use Revert on /oidc/settings",
			"error", cfg.SavedError.Error(), "file", config.SavedPath(cfg.DataDir))
	}
	g, err := wire(cfg, load, tr, logger, accessLog)
	if err != nil {
		return err
	}
	defer g.Close()
	if g.countSessions != nil {
		go g.reportActiveSessions(ctx, time.Minute)
	}
	if g.flows != nil {
		go g.flows.Run(ctx)
	}

	public := newServer(g.public, logger)
	// After a flood of connections (slow clients cut by the read deadline), give the
	// memory they held back to the operating system at once, not over minutes.
	public.ConnState = memlimit.NewReleaser(memlimit.FreeOSMemoryLater(ctx)).ConnState
	opsSrv := newServer(g.ops, logger)
	if cfg.TLSCertFile != "" {
		certs, err := certreload.New(cfg.TLSCertFile, cfg.TLSKeyFile, logger)
		if err != nil {
			return err
		}
		go certs.Run(ctx, certreload.CheckInterval)
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
	logger.Info("ssogate started", "version", version, "listen", publicLn.Addr().String(), "ops", opsLn.Addr().String(),
		"issuer", cfg.Issuer, "client_id", cfg.ClientID, "auth_method", cfg.AuthMethod,
		"upstream", upstreamText(cfg), "public_url", urlText(cfg.PublicURL), "session_store", storeName(cfg.SessionStore),
		"revocation_store", storeName(cfg.RevocationStore), "local_restore", cfg.LocalRestore, "tracing", tr.On())
	for _, r := range cfg.Risks() {
		logger.Warn("setting leaves the gateway exposed", "setting", r.Name, "value", r.Value, "risk", r.Problem)
	}
	if g.restore != nil {
		announceRestore(ctx, cfg, g, logger, stderr, publicLn.Addr())
	}

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

// announceRestore prints the break-glass sign-in once, prominently, and keeps warning
// that SSO is off. With JSON logs the line goes to stderr as plain text too, so a
// person reading `kubectl logs` or `docker logs` sees it at once.
func announceRestore(ctx context.Context, cfg config.Config, g *gateway, logger *slog.Logger, stderr io.Writer, addr net.Addr) {
	url := "http://" + addr.String() + "/oidc/restore"
	if cfg.PublicURL != nil {
		url = cfg.PublicURL.String() + "/oidc/restore"
	} else if cfg.TLSCertFile != "" {
		url = "https://" + addr.String() + "/oidc/restore"
	}
	logger.Warn("LOCAL_RESTORE is on: SSO is disabled. Sign in at the URL with this temporary password, fix the settings at /oidc/settings, then remove LOCAL_RESTORE and restart",
		"user", restore.Username, "password", g.restore.Password(), "url", url)
	if cfg.LogFormat != "text" {
		fmt.Fprintf(stderr, "\n*** LOCAL_RESTORE is on: SSO is disabled ***\n*** sign in at %s as user %q with temporary password %s ***\n\n",
			url, restore.Username, g.restore.Password())
	}
	go g.restore.RunWarnings(ctx, logger, 10*time.Minute)
}

// reportActiveSessions keeps the active-sessions gauge current where the store can
// count (Redis).
func (g *gateway) reportActiveSessions(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := g.countSessions(ctx); err == nil {
			g.metrics.ActiveSessions.Set(float64(n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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

// newAccessLog queues each access line in out, to be encoded in batches, unless its
// request is traced: that line is logged at once, with the span's IDs.
func newAccessLog(out *logbuf.Writer, logger *slog.Logger, tr *tracing.Tracing) func(context.Context, proxy.AccessLine) {
	h := logger.Handler()
	q := logbuf.NewQueue(out,
		func(l proxy.AccessLine) { _ = h.Handle(context.Background(), l.Record()) },
		func(l proxy.AccessLine) int { return l.Size() })
	return func(ctx context.Context, l proxy.AccessLine) {
		if tr.Sampled(ctx) {
			_ = h.Handle(ctx, l.Record())
			return
		}
		q.Add(l)
	}
}

// newLogHandler builds the process's log handler from LOG_LEVEL and LOG_FORMAT.
func newLogHandler(cfg config.Config, w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}

func upstreamText(cfg config.Config) string {
	if cfg.UpstreamURL == nil {
		return "none (forward-auth only)"
	}
	return cfg.UpstreamURL.String()
}

// storeName names a session or revocation store for the start-up line: "cookie",
// "memory" or "redis", never its URL (which may hold a password).
func storeName(s string) string {
	if isRedisURL(s) {
		return "redis"
	}
	return s
}
