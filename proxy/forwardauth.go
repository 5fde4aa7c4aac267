package proxy

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ssogate/ssogate/internal/httperr"
)

// forwardAuth serves GET /oidc/auth for an ingress's auth check: 200 with the identity
// headers on the response, 401 when not signed in, 403 when not allowed. It is the
// same decision as the reverse proxy's; only the output differs. With ?redirect=true a
// browser gets a 302 to the IdP instead of a 401, returning to the original URL, which
// is rebuilt from X-Forwarded-Proto/Host/Uri when the peer is a trusted proxy.
func (g *Gateway) forwardAuth(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	warnSpoofed(g.opts.Logger, r, spoofHintForwardAuth)
	if g.publicOriginal(r) {
		w.WriteHeader(http.StatusOK) // PUBLIC_PATHS: for anyone, never with an identity
		return nil
	}
	d := g.decide(w, r)
	switch d.verdict {
	case storeDown:
		return storeError(d.err)
	case unauthenticated:
		if r.URL.Query().Get("redirect") == "true" && !g.opts.LoginDisabled {
			return g.startLogin(w, r, g.originalURL(r))
		}
		httperr.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthenticated",
			"login_url": g.absURL(r, "/oidc/login?rd="+url.QueryEscape(g.originalURL(r)))})
		return nil
	case forbidden:
		return g.forbid(w, r, d)
	case unauthorizedMachine:
		return g.refuseMachine(w, r, d)
	case passthrough:
		w.WriteHeader(http.StatusOK) // no identity: the application checks the API key
		return nil
	}
	h, err := g.identityHeaders(d.session)
	if err != nil {
		return err
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// publicOriginal reports whether the path the ingress asks about (X-Forwarded-Uri or
// X-Original-Uri, believed only from TRUSTED_PROXIES) is on PUBLIC_PATHS.
func (g *Gateway) publicOriginal(r *http.Request) bool {
	if !peerTrusted(r, g.opts.Trusted) {
		return false
	}
	uri := r.Header.Get("X-Forwarded-Uri")
	if uri == "" {
		uri = r.Header.Get("X-Original-Uri")
	}
	path, _, _ := strings.Cut(uri, "?")
	path, _, _ = strings.Cut(path, "#")
	return g.public.Match(path)
}

// originalURL is the URL the user asked the ingress for, checked against the public
// host and ALLOWED_REDIRECT_DOMAINS; "/" when unknown or not allowed.
func (g *Gateway) originalURL(r *http.Request) string {
	if !peerTrusted(r, g.opts.Trusted) {
		return "/"
	}
	uri := r.Header.Get("X-Forwarded-Uri")
	if uri == "" {
		uri = r.Header.Get("X-Original-Uri")
	}
	if uri == "" || !strings.HasPrefix(uri, "/") {
		uri = "/"
	}
	host := firstValue(r.Header.Get("X-Forwarded-Host"))
	proto := firstValue(r.Header.Get("X-Forwarded-Proto"))
	if host == "" {
		return g.returnURL(r, uri, "ingress")
	}
	if proto != "https" && proto != "http" {
		proto = "https"
	}
	return g.returnURL(r, proto+"://"+host+uri, "ingress")
}
