package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// ServerSessions is what a server-side session store adds to session.Store: ending
// sessions by IdP session or subject on every replica, saving a refreshed session,
// and a lock so one refresh of a session runs at a time across replicas (also taken,
// under a key no session ID can have, to mark a back-channel logout token used).
type ServerSessions interface {
	DeleteBySID(ctx context.Context, sid string) (int, error)
	DeleteBySubject(ctx context.Context, issuer, sub string) (int, error)
	Update(ctx context.Context, r *http.Request, s *session.Session) error
	Lock(ctx context.Context, sessionID string, ttl time.Duration) (unlock func(), ok bool, err error)
}

// frontChannelLogout serves GET /logout?sid=…[&iss=…]: the IdP, usually from a hidden
// iframe without our cookie, ends one of its sessions. Every gateway session of that
// IdP session ends, on every replica; the answer is a plain 200, never a redirect.
func (g *Gateway) frontChannelLogout(w http.ResponseWriter, r *http.Request, sid, iss string) error {
	w.Header().Set("Cache-Control", "no-store")
	if g.opts.Flows != nil {
		if flow, err := g.opts.Flows.Flow(); err == nil {
			switch {
			case iss == "" && flow.Discovery().FrontChannelLogoutSessionSupported:
				// The IdP promises iss with every sid; one without it did not come from the IdP.
				return &httperr.HTTPError{Status: http.StatusBadRequest, Title: "Logout refused", Code: "missing_issuer",
					Message: "The logout request does not name its identity provider (iss)."}
			case iss != "" && iss != flow.Issuer():
				return &httperr.HTTPError{Status: http.StatusBadRequest, Title: "Logout refused", Code: "wrong_issuer",
					Message: "The logout request names another identity provider."}
			}
		}
	}
	// Anyone can send this request: it acts only on IdP sessions the gateway issued
	// sessions for, so a flood of made-up sids adds nothing to any list.
	n, known, err := g.endIdPSession(r.Context(), sid)
	if err != nil {
		return storeError(err)
	}
	if s, err := g.opts.Sessions.Load(r); err == nil && s.Identity.SessionID == sid {
		_ = g.opts.Sessions.Delete(w, r)
	}
	tracing.Event(r.Context(), "front_channel_logout", "success", "")
	level := slog.LevelInfo
	if !known {
		level = slog.LevelDebug // a flood of unknown sids must not flood the log either
	}
	g.opts.Logger.LogAttrs(r.Context(), level, "front-channel logout",
		slog.Bool("audit", true), slog.String("event", "front_channel_logout"),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("sid", sid),
		slog.Bool("known_sid", known), slog.Int("sessions_ended", n))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("signed out\n"))
	return nil
}

// backChannelLogout serves POST /oidc/backchannel-logout (OpenID Connect Back-Channel
// Logout 1.0): the IdP posts a signed logout_token server to server. It needs no
// cross-origin protection: nothing here acts on a browser's cookie, and the token's
// signature, audience and freshness are what authorise it.
func (g *Gateway) backChannelLogout(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	refuse := func(reason string, err error) error {
		status := http.StatusBadRequest
		if httperr.TooLarge(err) != nil {
			status, reason = http.StatusRequestEntityTooLarge, "too_large"
		}
		tracing.Event(r.Context(), "back_channel_logout", "failure", reason)
		g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "back-channel logout refused",
			slog.Bool("audit", true), slog.String("event", "back_channel_logout"), slog.String("reason", reason),
			slog.String("error", err.Error()), slog.String("request_id", httperr.RequestID(r.Context())))
		httperr.WriteJSON(w, status, map[string]string{"error": "invalid_request", "error_description": reason + ": " + err.Error()})
		return nil
	}
	if g.opts.Flows == nil || g.opts.LoginDisabled {
		return refuse("sso_disabled", errors.New("SSO is disabled"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return refuse("bad_form", err)
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" {
		return refuse("missing_token", errors.New("no logout_token in the form"))
	}
	flow, err := g.opts.Flows.Flow()
	if err != nil {
		return storeError(err)
	}
	lt, err := flow.VerifyLogoutToken(r.Context(), raw)
	if err != nil {
		return refuse(oidcflow.Reason(err), err)
	}
	release, fresh, err := g.useLogoutToken(r.Context(), lt)
	if errors.Is(err, errReplayGuardFull) {
		return &httperr.HTTPError{Status: http.StatusServiceUnavailable, Title: "Temporarily unavailable",
			Message: "Too many logout tokens to remember right now; send it again later.", Code: "busy", RetryAfter: 60, Err: err}
	}
	if err != nil {
		return storeError(err)
	}
	if !fresh {
		return refuse("replayed", errors.New("this logout token was already used"))
	}
	n, err := g.endLogoutToken(r.Context(), lt)
	if err != nil {
		release() // nothing was ended: the IdP may send this token again
		return storeError(err)
	}
	tracing.Event(r.Context(), "back_channel_logout", "success", "")
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "back-channel logout",
		slog.Bool("audit", true), slog.String("event", "back_channel_logout"),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("sid", lt.SessionID),
		slog.String("sub", lt.Subject), slog.Int("sessions_ended", n))
	w.WriteHeader(http.StatusOK)
	return nil
}

// logoutTokenTTL is how long a used logout token's jti is remembered: longer than
// VerifyLogoutToken accepts its iat.
const logoutTokenTTL = time.Hour

// useLogoutToken marks lt's jti as used, in this process and, with a server-side
// store, for every replica (through the store's lock, taken and left to expire).
// fresh is false when it was used before; release forgets the use again, for a
// logout that failed and that the IdP may retry.
func (g *Gateway) useLogoutToken(ctx context.Context, lt *oidcflow.LogoutToken) (release func(), fresh bool, err error) {
	key := "jti\x00" + lt.Issuer + "\x00" + lt.JTI
	switch err := g.jtis.consume(key, g.opts.Now().Add(logoutTokenTTL)); {
	case errors.Is(err, errReplayGuardFull):
		return nil, false, err
	case err != nil:
		return nil, false, nil
	}
	release = func() { g.jtis.forget(key) }
	if g.opts.Server == nil {
		return release, true, nil
	}
	unlock, ok, err := g.opts.Server.Lock(ctx, "logout-token\x00"+key, logoutTokenTTL)
	if err != nil || !ok {
		release()
		return nil, false, err
	}
	return func() { g.jtis.forget(key); unlock() }, true, nil
}

// forget drops state, so that consume accepts it again.
func (rg *replayGuard) forget(state string) {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	delete(rg.seen, replayKeyOf(state))
}

// endIdPSession ends every gateway session of IdP session sid: deleted from a
// server-side store, and, for cookie sessions of a sid the gateway issued, remembered
// by the revoker until the last of them would have ended. known is false when no
// session of sid was found or issued: nothing was recorded.
func (g *Gateway) endIdPSession(ctx context.Context, sid string) (n int, known bool, err error) {
	if g.opts.Server != nil {
		if n, err = g.opts.Server.DeleteBySID(ctx, sid); err != nil {
			return 0, false, err
		}
		known = n > 0
	}
	if g.opts.Revoker != nil {
		until, issued, err := g.opts.Revoker.IssuedUntil(ctx, sid)
		if err != nil || !issued {
			return n, known, err
		}
		if err := g.opts.Revoker.Revoke(ctx, sid, until); err != nil {
			return n, known, err
		}
		known = true
	}
	return n, known, nil
}

// endLogoutToken ends the sessions a back-channel logout token names: by sid when it
// has one, else every session of its subject.
func (g *Gateway) endLogoutToken(ctx context.Context, lt *oidcflow.LogoutToken) (int, error) {
	if lt.SessionID != "" {
		n, _, err := g.endIdPSession(ctx, lt.SessionID)
		return n, err
	}
	n := 0
	if g.opts.Server != nil {
		var err error
		if n, err = g.opts.Server.DeleteBySubject(ctx, lt.Issuer, lt.Subject); err != nil {
			return 0, err
		}
	}
	if g.opts.Revoker != nil {
		if err := g.opts.Revoker.RevokeSubject(ctx, lt.Issuer, lt.Subject, g.opts.Now().Add(g.opts.SessionLength)); err != nil {
			return n, err
		}
	}
	return n, nil
}
