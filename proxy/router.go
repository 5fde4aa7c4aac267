package proxy

import (
	"github.com/ssogate/ssogate/internal/boundcache"
	"net/http"
	"net/netip"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Gateway is the public listener's handler.
type Gateway struct {
	opts     Options
	upstream http.Handler // nil in auth-only mode
	replays  *replayGuard
	headers  *boundcache.Cache[sessionHeaders]
	handler  http.Handler
}

// New builds the gateway's handler: one route table, read top to bottom.
func New(opts Options) (*Gateway, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	g := &Gateway{opts: opts, replays: newReplayGuard(opts.Now, replayGuardMax),
		headers: boundcache.New[sessionHeaders](headerCacheBytes)}
	if opts.Upstream != nil {
		up, err := newUpstream(opts.Upstream, opts.Trusted, opts.Logger, g.renderError)
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
	r.Use(g.requestID, clientIPMiddleware, g.accessLog, g.recoverer)
	r.Get("/oidc/login", g.handle(g.login))
	// The callback is exempt from cross-origin protection: with form_post the IdP's
	// page POSTs here from another site by design. State, nonce and the login cookie
	// bind the response to this browser instead.
	r.Get("/oidc/callback", g.handle(g.callback))
	r.Post("/oidc/callback", g.handle(g.callback))
	r.Get("/oidc/userinfo", g.handle(g.userinfo))
	r.Get("/oidc/auth", g.handle(g.forwardAuth))
	r.HandleFunc("/logout", g.handle(g.logout))
	r.Post("/oidc/backchannel-logout", g.handle(g.backChannelLogout))
	mountOptional(r, "/oidc/jwks.json", opts.JWKS)
	mountOptional(r, "/oidc/restore", opts.Restore)
	if opts.Settings != nil {
		r.Handle("/oidc/settings", g.handle(g.adminOnly(opts.Settings)))
	}
	r.HandleFunc("/oidc/*", g.handle(g.notFound))
	r.HandleFunc("/*", g.handle(g.protected))
	g.handler = r
	return g, nil
}

// ServeHTTP serves the public listener.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

func mountOptional(r chi.Router, path string, h http.Handler) {
	if h != nil {
		r.Handle(path, h)
	}
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// notFound answers paths under /oidc/ that the gateway does not serve.
func (g *Gateway) notFound(w http.ResponseWriter, r *http.Request) error {
	return &HTTPError{Status: http.StatusNotFound, Title: "Not found", Message: "There is no gateway page at this address."}
}
