package proxy

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// logout serves GET and POST /logout: it ends the session here (with the cookie store,
// the session also goes on the revocation list, so a copy of its cookie is refused
// until it would have expired), then sends the browser
// to the IdP's end-session endpoint (RP-initiated logout) when there is one. A browser
// the IdP sends back to /logout has no session left and gets the signed-out page, so
// there is no redirect loop.
func (g *Gateway) logout(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if sid := r.URL.Query().Get("sid"); sid != "" {
		return g.frontChannelLogout(w, r, sid, r.URL.Query().Get("iss"))
	}
	s, err := g.opts.Sessions.Load(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		return storeError(err)
	}
	if s != nil && g.opts.Revoker != nil {
		// Cookie store: a copy of the cookie taken before now must not work either.
		if err := session.RevokeSession(r.Context(), g.opts.Revoker, s); err != nil {
			return storeError(err)
		}
	}
	if err := g.opts.Sessions.Delete(w, r); err != nil {
		return storeError(err)
	}
	if s != nil && g.opts.Assertions != nil {
		g.opts.Assertions.Forget(s.ID)
	}
	signedOut := web.SignedOutPage{LoginURL: "/oidc/login", Banner: g.opts.Banner}
	if s == nil {
		return g.opts.Renderer.Render(w, r, http.StatusOK, "signed-out", signedOut)
	}
	tracing.Event(r.Context(), "sign_out", "success", "")
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "signed out",
		slog.Bool("audit", true), slog.String("event", "sign_out"),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("user", s.Identity.Username),
		slog.String("sub", s.Identity.Subject))
	if g.opts.Flows != nil && !g.opts.LoginDisabled {
		if flow, err := g.opts.Flows.Flow(); err == nil {
			if u := flow.EndSessionURL(s.IDToken, g.absURL(r, "/")); u != "" {
				g.markSignedOut(w) // the IdP returns the browser to /: show it the signed-out page
				http.Redirect(w, r, u, http.StatusFound)
				return nil
			}
		}
	}
	return g.opts.Renderer.Render(w, r, http.StatusOK, "signed-out", signedOut)
}
