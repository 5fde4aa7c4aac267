package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// refreshLockTTL bounds one refresh; after a failed refresh it also spaces the next
// attempt, since the lock is then left to expire.
const refreshLockTTL = 30 * time.Second

// errRefreshEnded means the IdP refused the refresh: the session is over.
var errRefreshEnded = errors.New("proxy: the identity provider ended the session")

// refresh re-validates s at the IdP when REFRESH_INTERVAL has passed since its last
// check. It needs a server-side store (the only place a refresh token is kept) and
// runs once per session at a time across replicas, under the store's lock, so
// parallel requests never race a rotating refresh token. A request that finds the
// lock taken goes on with the session as it is. An IdP that refuses the refresh
// ends the session (errRefreshEnded); an IdP that cannot be reached leaves it alone.
func (g *Gateway) refresh(r *http.Request, s *session.Session) (*session.Session, error) {
	if g.opts.Server == nil || g.opts.RefreshInterval <= 0 || s.RefreshToken == "" ||
		g.opts.Now().Sub(s.RefreshedAt) < g.opts.RefreshInterval || g.opts.Flows == nil {
		return s, nil
	}
	ctx := r.Context()
	unlock, ok, err := g.opts.Server.Lock(ctx, s.ID, refreshLockTTL)
	if err != nil || !ok {
		return s, nil // another request or replica is refreshing; this one's session is still valid
	}
	// s was loaded before the lock was taken: another request may have refreshed it
	// and released the lock meanwhile, rotating the refresh token s holds. Read it
	// again, so this request neither refreshes twice nor spends a used token (which
	// the IdP refuses, ending the session).
	cur, err := g.opts.Sessions.Load(r)
	if err != nil {
		unlock()
		return nil, err
	}
	if cur.ID != s.ID || g.opts.Now().Sub(cur.RefreshedAt) < g.opts.RefreshInterval {
		unlock()
		return cur, nil
	}
	s = cur
	flow, err := g.opts.Flows.Flow()
	if err != nil {
		return s, nil // keep the lock: it spaces the next attempt
	}
	res, err := flow.Refresh(ctx, s.RefreshToken)
	switch {
	case errors.Is(err, oidcflow.ErrRefreshRejected):
		unlock()
		g.auditRefresh(r, s, "rejected", err)
		return nil, fmt.Errorf("%w: %w", errRefreshEnded, err)
	case err != nil:
		g.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "session refresh failed; keeping the session and trying again later",
			slog.String("request_id", httperr.RequestID(ctx)), slog.String("sub", s.Identity.Subject), slog.String("error", err.Error()))
		return s, nil
	}
	defer unlock()
	next := *s
	next.RefreshToken, next.RefreshedAt = res.RefreshToken, g.opts.Now()
	if res.IDToken != "" {
		if res.Identity.Subject != s.Identity.Subject {
			g.auditRefresh(r, s, "subject_changed", errors.New("the refreshed ID token names another subject"))
			return nil, errRefreshEnded
		}
		res.Identity.SessionID = s.Identity.SessionID // the IdP session does not change on refresh
		if res.Groups != nil && res.Groups.Partial {
			// The look-up failed this time: keep the groups the session had rather
			// than dropping them until the next refresh.
			res.Identity.Groups, res.Identity.Role = s.Identity.Groups, s.Identity.Role
		}
		next.Identity, next.IDToken = res.Identity, res.IDToken
	}
	if err := g.opts.Server.Update(ctx, r, &next); err != nil {
		return s, nil // the next request tries again; the refresh token may have rotated, which the IdP tolerates or refuses
	}
	g.auditRefresh(r, &next, "success", nil)
	return &next, nil
}

func (g *Gateway) auditRefresh(r *http.Request, s *session.Session, outcome string, err error) {
	attrs := []slog.Attr{slog.Bool("audit", true), slog.String("event", "session_refresh"), slog.String("outcome", outcome),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("user", s.Identity.Username), slog.String("sub", s.Identity.Subject)}
	tracing.Event(r.Context(), "session_refresh", outcome, "")
	level := slog.LevelInfo
	if err != nil {
		attrs, level = append(attrs, slog.String("error", err.Error())), slog.LevelWarn
	}
	g.opts.Logger.LogAttrs(r.Context(), level, "session refresh", attrs...)
}
