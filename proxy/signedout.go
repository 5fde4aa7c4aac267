package proxy

import (
	"net/http"

	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// signedOutPath shows the signed-out page. After RP-initiated logout the IdP sends the
// browser back to PUBLIC_URL/ (post_logout_redirect_uri, what deployments register);
// the marker cookie set by /logout turns that arrival into a redirect here instead of
// a new sign-in at the IdP.
const signedOutPath = "/oidc/signed-out"

// signedOutMarkerAge is how long after /logout a browser coming back without a session
// is shown the signed-out page: long enough for the IdP's own logout pages.
const signedOutMarkerAge = 10 * 60

// signedOutMarker is the marker cookie's name.
func (g *Gateway) signedOutMarker() string {
	if g.opts.Secure {
		return "__Host-ssogate_signed_out"
	}
	return "ssogate_signed_out"
}

// markSignedOut remembers in the browser that it just signed out here.
func (g *Gateway) markSignedOut(w http.ResponseWriter) {
	http.SetCookie(w, session.NewCookie(g.signedOutMarker(), "1", signedOutMarkerAge, g.opts.Secure))
}

// takeSignedOutMark reports whether r carries the marker, and expires it.
func (g *Gateway) takeSignedOutMark(w http.ResponseWriter, r *http.Request) bool {
	if _, err := r.Cookie(g.signedOutMarker()); err != nil {
		return false
	}
	http.SetCookie(w, session.NewCookie(g.signedOutMarker(), "", -1, g.opts.Secure))
	return true
}

// signedOut serves GET /oidc/signed-out: the signed-out page with "Sign in again".
func (g *Gateway) signedOut(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	g.takeSignedOutMark(w, r)
	return g.opts.Renderer.Render(w, r, http.StatusOK, web.PageSignedOut,
		web.SignedOutPage{LoginURL: "/oidc/login", Banner: g.opts.Banner})
}
