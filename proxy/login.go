package proxy

import (
	"net/http"
	"net/url"

	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/web"
)

// login serves GET /oidc/login?rd=…: it starts a sign-in that returns to rd.
func (g *Gateway) login(w http.ResponseWriter, r *http.Request) error {
	if g.opts.LoginDisabled {
		// LOCAL_RESTORE works as intended: the way in is the break-glass page, not a 5xx.
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/oidc/restore", http.StatusFound)
		return nil
	}
	rd := g.returnURL(r, r.URL.Query().Get("rd"), "rd")
	g.takeSignedOutMark(w, r) // signing in again on purpose
	return g.startLogin(w, r, rd)
}

// startLogin remembers a new login in a cookie and sends the browser to the IdP.
func (g *Gateway) startLogin(w http.ResponseWriter, r *http.Request, returnTo string) error {
	flow, err := g.opts.Flows.Flow()
	if err != nil {
		return &httperr.HTTPError{Key: "error.idp_unavailable", Status: http.StatusServiceUnavailable, Title: "Sign-in is unavailable",
			Message:  "The identity provider cannot be reached right now. The gateway keeps trying; please try again in a moment.",
			RetryURL: "/oidc/login?rd=" + url.QueryEscape(returnTo), RetryAfter: 5, Code: "idp_unavailable", Err: err}
	}
	ls, authURL := flow.Start(returnTo, g.absURL(r, "/oidc/callback"))
	if err := g.saveLoginState(w, r, ls); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// unauthenticated answers a request that needs a session and has none: browsers
// navigating are sent to sign in (while LOCAL_RESTORE is on they get a page saying
// sign-in is temporarily off); anything else gets 401 JSON naming the login URL.
func (g *Gateway) unauthenticated(w http.ResponseWriter, r *http.Request) error {
	returnTo := r.URL.RequestURI()
	switch {
	case isNavigation(r) && g.opts.LoginDisabled:
		// A page for people, never the JSON meant for API clients (DESIGN §6).
		return g.opts.Renderer.Render(w, r, http.StatusUnauthorized, web.PageRestoreMode,
			web.RestoreModePage{RetryURL: safeReturn(returnTo, "", nil), Banner: g.opts.Banner})
	case isNavigation(r) && g.takeSignedOutMark(w, r):
		// Back from the IdP's logout: say so instead of signing in again at once.
		http.Redirect(w, r, signedOutPath, http.StatusSeeOther)
		return nil
	case isNavigation(r):
		return g.startLogin(w, r, safeReturn(returnTo, "", nil))
	}
	loginURL := g.absURL(r, "/oidc/login?rd="+url.QueryEscape(returnTo))
	if g.opts.LoginDisabled {
		loginURL = g.absURL(r, "/oidc/restore")
	}
	httperr.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthenticated", "login_url": loginURL})
	return nil
}
