package proxy

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/ssogate/ssogate/internal/httperr"
)

// Cross-site request forgery: one layer, http.CrossOriginProtection, guards every
// route the gateway owns (the route group in New). A state-changing request (any
// method but GET, HEAD and OPTIONS) whose browser says it comes from another origin
// (Sec-Fetch-Site cross-site or same-site, else an Origin that is not this host or
// PUBLIC_URL) is refused with 403 before any handler runs. Requests without these
// browser headers (curl, server-to-server) pass, as do same-origin ones. The forms
// (settings, break-glass, sessions, logout confirmation) carry a token on top of it
// (internal/csrf), in case a browser sends neither header.
//
// The upstream's paths are not covered, on purpose: the gateway cannot know the
// application's own cross-origin policy (a browser app of the organisation may POST
// to its API from another origin with CORS, and the W&B SDK, SCIM and MCP clients
// send their own credentials). The session cookie is SameSite=Lax, so a cross-site
// POST reaches an upstream path without the user's session in any case. The two
// exceptions, each with its reason, are in newCrossOrigin.

// crossOriginMaxHeader bounds the header values a refusal's log line repeats.
const crossOriginMaxHeader = 200

// newCrossOrigin returns the protection of the gateway's own routes. publicURL, when
// set, is trusted as an origin: behind an ingress that rewrites Host, a browser
// without Sec-Fetch-Site sends PUBLIC_URL's origin, which is this gateway's.
func newCrossOrigin(publicURL *url.URL) (*http.CrossOriginProtection, error) {
	c := http.NewCrossOriginProtection()
	// The implicit flow's form_post: the IdP's page POSTs the ID token here from the
	// IdP's own site, by design. The login state, its nonce and the browser's login
	// cookie bind the response to the sign-in this browser started instead.
	c.AddInsecureBypassPattern("POST /oidc/callback")
	// OIDC Back-Channel Logout: the IdP posts from its own servers, not a browser, and
	// the signed logout_token (issuer, audience, single-use jti) is the authority.
	c.AddInsecureBypassPattern("POST /oidc/backchannel-logout")
	if publicURL != nil {
		if err := c.AddTrustedOrigin(publicURL.Scheme + "://" + publicURL.Host); err != nil {
			return nil, fmt.Errorf("PUBLIC_URL as a trusted origin: %w", err)
		}
	}
	return c, nil
}

// crossOrigin refuses a cross-origin state-changing request to the gateway's own
// routes: 403 through the error path, with one log line saying why
// (reason cross_origin).
func (g *Gateway) crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.origins.Check(r); err != nil {
			w.Header().Set("Cache-Control", "no-store")
			g.pages.Render(w, r, &httperr.HTTPError{Key: "error.cross_origin", Status: http.StatusForbidden,
				Title: "Request refused", Code: "cross_origin", Err: err, Log: "cross-origin request refused",
				Message: "This request came from another site, so the gateway did not act on it. Go to the page on this site and try again there.",
				Attrs: []slog.Attr{slog.String("method", r.Method),
					slog.String("sec_fetch_site", clip(r.Header.Get("Sec-Fetch-Site"), crossOriginMaxHeader)),
					slog.String("origin", clip(r.Header.Get("Origin"), crossOriginMaxHeader))}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clip returns s cut to at most n bytes, for log lines that repeat request headers.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
