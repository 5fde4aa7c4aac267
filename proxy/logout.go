package proxy

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/ssogate/ssogate/internal/csrf"
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
//
// A logout cannot be forced from another site. POST /logout from another origin is
// refused by the cross-origin layer (crossorigin.go). A signed-in browser that another
// site navigates to GET /logout (Sec-Fetch-Site cross-site, or same-site: a sibling
// subdomain is another site too) gets a confirmation page whose form POSTs back here;
// from the gateway's own origin, typed in, or from a browser that sends no
// Sec-Fetch-Site, GET /logout signs out at once, so the application's "Log out" links
// keep working. The front-channel logout (?sid=) is the IdP's and is unchanged.
func (g *Gateway) logout(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if sid := r.URL.Query().Get("sid"); sid != "" {
		return g.frontChannelLogout(w, r, sid, r.URL.Query().Get("iss"))
	}
	if err := g.checkLogoutForm(w, r); err != nil {
		return err
	}
	s, err := g.opts.Sessions.Load(r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		return storeError(err)
	}
	ret := g.returnURL(r, r.FormValue("rd"), "rd")
	if s != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && fromAnotherSite(r) {
		return g.confirmLogout(w, r, s, ret)
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
	if ret != "/" {
		signedOut.LoginURL += "?rd=" + url.QueryEscape(ret)
	}
	if s == nil {
		return g.opts.Renderer.Render(w, r, http.StatusOK, "signed-out", signedOut)
	}
	tracing.Event(r.Context(), "sign_out", "success", "")
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "signed out",
		slog.Bool("audit", true), slog.String("event", "sign_out"),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("user", s.Identity.Username),
		slog.String("sub", s.Identity.Subject))
	if u := g.endSessionURL(r, s.IDToken); u != "" {
		g.markSignedOut(w) // the IdP returns the browser to /: show it the signed-out page
		http.Redirect(w, r, u, http.StatusFound)
		return nil
	}
	return g.opts.Renderer.Render(w, r, http.StatusOK, "signed-out", signedOut)
}

// endSessionURL is where signing out sends the browser next, the IdP's end-session
// endpoint (RP-initiated logout), or "" when there is none.
func (g *Gateway) endSessionURL(r *http.Request, idToken string) string {
	if g.opts.Flows == nil || g.opts.LoginDisabled {
		return ""
	}
	flow, err := g.opts.Flows.Flow()
	if err != nil {
		return ""
	}
	return flow.EndSessionURL(idToken, g.absURL(r, "/"))
}

// logoutFormBytes bounds the body of POST /logout: the confirmation form is a token
// and a return path.
const logoutFormBytes = 16 << 10

// fromAnotherSite reports whether the browser says r was started by another site:
// Sec-Fetch-Site cross-site, or same-site (a sibling subdomain, which this gateway
// does not trust either).
func fromAnotherSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	return false
}

// checkLogoutForm bounds the body of a logout that may carry one (POST; any method
// but GET, HEAD and OPTIONS) and checks the confirmation page's token when the form
// carries one. The token is not required: POST /logout has
// already passed the cross-origin layer, and a same-origin "Log out" form of the
// application, which has no token, signs out as a same-origin GET /logout does.
func (g *Gateway) checkLogoutForm(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := httperr.ReadForm(w, r, logoutFormBytes, "sign-out form"); err != nil {
		return err
	}
	if g.opts.CSRF == nil || !r.PostForm.Has(csrf.FieldName) {
		return nil
	}
	if err := g.opts.CSRF.Check(r); err != nil {
		return &httperr.HTTPError{Key: "error.form_expired", Status: http.StatusForbidden, Title: "Form expired", Code: "csrf",
			Message: "This form expired or was sent from another site. Reload the page and try again.",
			Err:     err, Log: "sign-out refused: CSRF check failed"}
	}
	return nil
}

// confirmLogout shows the signed-in browser that another site sent here the page
// asking whether to sign out. Nothing changes until its form is posted.
func (g *Gateway) confirmLogout(w http.ResponseWriter, r *http.Request, s *session.Session, ret string) error {
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "sign-out asked by another site: confirmation shown",
		slog.Bool("audit", true), slog.String("event", "sign_out"), slog.String("outcome", "confirm"),
		slog.String("reason", "cross_site"), slog.String("request_id", httperr.RequestID(r.Context())),
		slog.String("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")), slog.String("user", s.Identity.Username))
	// The form's answer redirects to the IdP: the page's CSP (form-action) must allow it.
	page := web.LogoutConfirmPage{User: s.Identity.Username, SignOutTo: g.endSessionURL(r, ""), Banner: g.opts.Banner}
	if ret != "/" {
		page.ReturnURL = ret
	}
	if g.opts.CSRF != nil {
		page.CSRFToken = g.opts.CSRF.Token(w, r)
	}
	return g.opts.Renderer.Render(w, r, http.StatusOK, web.PageLogoutConfirm, page)
}
