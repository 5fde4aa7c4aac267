package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/ops"
	"github.com/ssogate/ssogate/proxy"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
)

// sessionStores is the session store SESSION_STORE names and what goes with it.
type sessionStores struct {
	store   session.Store
	server  proxy.ServerSessions        // Redis: delete by sid/sub, update, refresh lock
	revoker session.Revoker             // remembers IdP logouts: for cookies (memory or Redis) and bearer tokens
	ping    func(context.Context) error // nil: nothing to check
	check   string                      // the /readyz check's name for ping
	count   func(context.Context) (int64, error)
	close   func() error
}

// newSessionStores opens the cookie store or the Redis store, whose clock (when a
// session was last used, whether it idled out) is now; revocation lists use the
// real one, as the request handling does. The Redis client does not connect here:
// an unreachable Redis shows on /readyz and as 503 pages, and recovers by itself.
func newSessionStores(cfg config.Config, codec *session.Codec, secure bool, now func() time.Time, metrics *ops.Metrics, logger *slog.Logger) (sessionStores, error) {
	if isRedisURL(cfg.SessionStore) || isRedisURL(cfg.RevocationStore) {
		redisstore.SetLogger(logger)
	}
	if !isRedisURL(cfg.SessionStore) {
		return cookieStores(cfg, codec, secure, now, metrics)
	}
	st, err := redisstore.New(redisstore.Options{URL: cfg.SessionStore, Codec: codec, Secure: secure,
		SessionLength: cfg.SessionLength, IdleTimeout: cfg.SessionIdleTimeout, OpTimeout: time.Second, Now: now,
		Hook: ops.RedisHook(metrics, "session")})
	if err != nil {
		return sessionStores{}, fmt.Errorf("SESSION_STORE: %w", err)
	}
	// Logouts are also remembered in the same Redis, for bearer tokens: they have no
	// session to delete. Sessions themselves are deleted, not checked against the list.
	rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: cfg.SessionStore, OpTimeout: time.Second,
		Hook: ops.RedisHook(metrics, "session")})
	if err != nil {
		_ = st.Close()
		return sessionStores{}, fmt.Errorf("SESSION_STORE: %w", err)
	}
	return sessionStores{store: st, server: st, revoker: rv, ping: st.Ping, check: "session_store", count: st.Count,
		close: func() error { return errors.Join(st.Close(), rv.Close()) }}, nil
}

// cookieStores opens the cookie store with the revocation list REVOCATION_STORE
// names: in this process, or in Redis for every replica.
func cookieStores(cfg config.Config, codec *session.Codec, secure bool, now func() time.Time, metrics *ops.Metrics) (sessionStores, error) {
	stores := sessionStores{
		store: session.NewCookieStore(session.CookieOptions{Codec: codec, Secure: secure, MaxAge: cfg.SessionLength,
			IdleTimeout: cfg.SessionIdleTimeout, Now: now}),
		close: func() error { return nil },
	}
	if !isRedisURL(cfg.RevocationStore) {
		stores.revoker = session.NewMemoryRevoker(time.Now, session.DefaultRevokerMax)
		return stores, nil
	}
	rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: cfg.RevocationStore, OpTimeout: time.Second,
		Hook: ops.RedisHook(metrics, "revocation")})
	if err != nil {
		return sessionStores{}, fmt.Errorf("REVOCATION_STORE: %w", err)
	}
	stores.revoker, stores.ping, stores.check, stores.close = rv, rv.Ping, "revocation_store", rv.Close
	return stores, nil
}

// checkStoreURLs reports, as problems of the configuration, what is wrong with the
// Redis URLs of SESSION_STORE and REVOCATION_STORE (redisstore.CheckURL): before
// anything starts, and not for a setting loadErr already reports.
func checkStoreURLs(cfg config.Config, loadErr error) error {
	var errs []error
	for _, s := range []struct{ name, url string }{{"SESSION_STORE", cfg.SessionStore}, {"REVOCATION_STORE", cfg.RevocationStore}} {
		if !isRedisURL(s.url) || reported(loadErr, s.name) {
			continue
		}
		if err := redisstore.CheckURL(s.url); err != nil {
			errs = append(errs, &config.SettingError{Name: s.name, Value: config.ShowURLText(s.url), Problem: err.Error()})
		}
	}
	return errors.Join(errs...)
}

// reported reports whether err, or one of the errors it joins, is a problem of
// the setting name.
func reported(err error, name string) bool {
	switch e := err.(type) {
	case *config.SettingError:
		return e.Name == name
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			if reported(inner, name) {
				return true
			}
		}
	}
	return false
}

func isRedisURL(s string) bool {
	for _, p := range []string{"redis://", "rediss://", "unix://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
