package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/proxy"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
)

// sessionStores is the session store SESSION_STORE names and what goes with it.
type sessionStores struct {
	store   session.Store
	server  proxy.ServerSessions // Redis: delete by sid/sub, update, refresh lock
	revoker session.Revoker      // cookies: remembers IdP logouts in memory
	ping    func(context.Context) error
	count   func(context.Context) (int64, error)
	close   func() error
}

// newSessionStores opens the cookie store or the Redis store. The Redis client does
// not connect here: an unreachable Redis shows on /readyz and as 503 pages, and
// recovers by itself.
func newSessionStores(cfg config.Config, codec *session.Codec, secure bool, logger *slog.Logger) (sessionStores, error) {
	if !isRedisURL(cfg.SessionStore) {
		return sessionStores{
			store:   session.NewCookieStore(session.CookieOptions{Codec: codec, Secure: secure, MaxAge: cfg.SessionLength}),
			revoker: session.NewMemoryRevoker(time.Now, session.DefaultRevokerMax),
			close:   func() error { return nil },
		}, nil
	}
	redisstore.SetLogger(logger)
	st, err := redisstore.New(redisstore.Options{URL: cfg.SessionStore, Codec: codec, Secure: secure,
		SessionLength: cfg.SessionLength, OpTimeout: time.Second})
	if err != nil {
		return sessionStores{}, fmt.Errorf("SESSION_STORE: %w", err)
	}
	return sessionStores{store: st, server: st, ping: st.Ping, count: st.Count, close: st.Close}, nil
}

func isRedisURL(s string) bool {
	for _, p := range []string{"redis://", "rediss://", "unix://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
