package proxy

import (
	"net/http"
	"net/netip"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/ssogate/ssogate/internal/boundcache"
	"github.com/ssogate/ssogate/internal/httperr"
)

// Gateway is the public listener's handler.
type Gateway struct {
	opts     Options
	upstream http.Handler // nil in auth-only mode
	// states and jtis are separate replay guards, so a flood of one kind cannot
	// stop the other: used login states, and used back-channel logout tokens.
	states, jtis *replayGuard
	headers      *boundcache.Cache[sessionHeaders]
	origins      *http.CrossOriginProtection // the gateway's own routes' CSRF layer
	pages        *httperr.Pages
	public       PublicPaths
	via          string // the Via entry the gateway adds upstream (loop.go)
	// routes serves the gateway's own paths; others, every other path (the
	// upstream's), through the same middleware without the route table.
	routes, others http.Handler
}

// New builds the gateway's handler: one route table, read top to bottom.
func New(opts Options) (*Gateway, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	g := &Gateway{opts: opts, states: newReplayGuard(opts.Now, replayGuardMax),
		jtis: newReplayGuard(opts.Now, replayGuardMax), headers: boundcache.New[sessionHeaders](headerCacheBytes),
		public: NewPublicPaths(opts.PublicPaths), via: newVia(),
		pages: &httperr.Pages{Renderer: opts.Renderer, Logger: opts.Logger, Banner: opts.Banner}}
	origins, err := newCrossOrigin(opts.PublicURL)
	if err != nil {
		return nil, err
	}
	g.origins = origins
	if opts.Upstream != nil {
		up, err := newUpstream(opts.Upstream, opts.Trusted, g.via, opts.Logger, g.pages.Render)
		if err != nil {
			return nil, err
		}
		g.upstream = up
	}

	r := chi.NewRouter()
	clientIPMiddleware := middleware.ClientIPFromRemoteAddr
	if len(opts.Trusted) > 0 {
		clientIPMiddleware = middleware.ClientIPFromXFF(prefixStrings(opts.Trusted)...)
	}
	stack := chi.Middlewares{limitReads, g.requestID, clientIPMiddleware, g.accessLog, g.recoverer}
	r.Use(stack...)
	// The gateway's own routes, behind one cross-site request forgery layer
	// (crossorigin.go). The upstream's paths below are not: their cross-origin policy
	// is the application's.
	r.Group(func(r chi.Router) {
		r.Use(g.crossOrigin)
		r.Get("/oidc/login", g.pages.Handle(g.login))
		// POST /oidc/callback (form_post) is exempt from the layer: the IdP's page POSTs
		// here from another site by design (newCrossOrigin).
		r.Get("/oidc/callback", g.pages.Handle(g.callback))
		r.Post("/oidc/callback", g.pages.Handle(g.callback))
		r.Get("/oidc/userinfo", g.pages.Handle(g.userinfo))
		r.Get("/oidc/auth", g.pages.Handle(g.forwardAuth))
		r.HandleFunc("/logout", g.pages.Handle(g.logout))
		r.Get(signedOutPath, g.pages.Handle(g.signedOut))
		r.Post("/oidc/backchannel-logout", g.pages.Handle(g.backChannelLogout)) // exempt too: server to server
		g.mountOptional(r, "/oidc/jwks.json", opts.JWKS)
		g.mountOptional(r, "/oidc/restore", opts.Restore)
		var settings http.Handler
		if opts.Settings != nil {
			settings = g.pages.Handle(g.adminOnly(opts.Settings))
		}
		g.mountOptional(r, "/oidc/settings", settings)
		r.Get("/oidc/sessions", g.pages.Handle(g.adminOnly(g.pages.Handle(g.sessions))))
		r.Post("/oidc/sessions/revoke", g.pages.Handle(g.adminOnly(g.pages.Handle(g.revokeSessions))))
	})
	// Every other path, other /oidc/ paths included, is the upstream's (DESIGN §3):
	// W&B Server's SDK exchanges identity-federation JWTs at its own POST /oidc/token.
	protected := g.pages.Handle(g.protected)
	r.HandleFunc("/*", protected)
	g.routes = r
	g.others = stack.HandlerFunc(protected)
	return g, nil
}

// ServeHTTP serves the public listener. A request for a path that is not one of
// the gateway's own skips the route table, whose answer for it is always
// protected: the route table's look-up and request copy are saved on every
// proxied request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "" || p[0] != '/' || ownPath(p) || p == signedOutPath {
		g.routes.ServeHTTP(w, r)
		return
	}
	g.others.ServeHTTP(w, r)
}

// mountOptional serves one of the gateway's own paths with h, or with a 404 when this
// gateway does not offer it (no LOCAL_RESTORE, no settings page): the path stays the
// gateway's and never reaches the upstream.
func (g *Gateway) mountOptional(r chi.Router, path string, h http.Handler) {
	if h == nil {
		h = g.pages.Handle(g.notFound)
	}
	r.Handle(path, h)
}

// OwnPaths are the paths the gateway answers itself (DESIGN §3). Every other path,
// including other paths under /oidc/, belongs to the upstream and goes through the
// same decision as any other (sign-in, machine credentials, PUBLIC_PATHS).
func OwnPaths() []string {
	return []string{"/oidc/login", "/oidc/callback", "/oidc/auth", "/oidc/jwks.json", "/oidc/userinfo",
		"/oidc/settings", "/oidc/restore", "/logout", "/oidc/backchannel-logout",
		"/oidc/sessions", "/oidc/sessions/revoke"}
}

// ownPath reports whether path is one of OwnPaths (TestOwnPathMatchesOwnPaths keeps
// the two lists the same).
func ownPath(path string) bool {
	switch path {
	case "/oidc/login", "/oidc/callback", "/oidc/auth", "/oidc/jwks.json", "/oidc/userinfo",
		"/oidc/settings", "/oidc/restore", "/logout", "/oidc/backchannel-logout",
		"/oidc/sessions", "/oidc/sessions/revoke":
		return true
	}
	return false
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// notFound answers the gateway's own paths that this gateway does not serve.
func (g *Gateway) notFound(w http.ResponseWriter, r *http.Request) error {
	return &httperr.HTTPError{Key: "error.not_found", Status: http.StatusNotFound, Title: "Not found", Message: "There is no gateway page at this address."}
}
