package proxy

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// testClientID is the gateway's client at the test IdP.
const testClientID = "gateway"

// fixtureOptions change the gateway a test builds; the zero value is the usual one.
type fixtureOptions struct {
	method                 string                         // oidcflow.MethodImplicit (default) or MethodPKCE
	upstream               http.Handler                   // nil: the echo upstream
	upstreamURL            *url.URL                       // overrides the upstream server, e.g. a closed port
	upstreamConnState      func(net.Conn, http.ConnState) // the upstream server's ConnState hook
	trusted                []netip.Prefix
	publicURL              string
	secure                 bool // cookies are Secure (an https PUBLIC_URL)
	allowedRedirectDomains []string
	apiKeyPassthrough      bool
	publicPaths            []string
	rules                  claims.Rules
	sessions               func(session.Store) session.Store // wraps the cookie store
	asserter               Asserter                          // nil: fakeAsserter
	settings               http.Handler                      // served at /oidc/settings
	restore                http.Handler                      // served at /oidc/restore
	hooks                  Hooks                             // metrics hooks
	revoker                session.Revoker                   // remembers IdP logouts
	csrf                   *csrf.Protector                   // protects the admin session form
	quiet                  bool                              // log warnings and errors only (floods)
	users                  []testidp.User                    // the IdP's users; nil: testidp.DemoUsers
	cookieSessions         bool                              // Options.CookieSessions
	server                 ServerSessions                    // Options.Server; nil: none (cookies)
	// idpDown starts the gateway while the IdP's port is closed; startIdP opens it.
	idpDown bool
	// jwksMinRefresh is oidcflow.Options.JWKSMinRefresh (0: its default); an hour
	// refuses unknown kids at once instead of waiting for the next JWKS fetch.
	jwksMinRefresh time.Duration
}

// fixture is a gateway in front of an upstream, signing users in at a test IdP, all
// on 127.0.0.1.
type fixture struct {
	t        testing.TB
	gw       *Gateway
	srv      *httptest.Server // the gateway
	idp      *testidp.Provider
	idpSrv   *httptest.Server
	up       *httptest.Server
	hits     *atomic.Int64 // requests the echo upstream received
	logs     *logBuffer
	codec    *session.Codec
	store    *session.CookieStore
	attempts chan error // discovery attempts, when idpDown
	asserter *fakeAsserter
}

// newFixture builds and starts a gateway with opts.
func newFixture(t testing.TB, opts fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{t: t, hits: new(atomic.Int64), logs: newLogBuffer(), attempts: make(chan error, 64), asserter: new(fakeAsserter)}
	upHandler := opts.upstream
	if upHandler == nil {
		upHandler = echoUpstream(f.hits)
	}
	f.up = httptest.NewUnstartedServer(upHandler)
	f.up.Config.ConnState = opts.upstreamConnState
	f.up.Start()
	t.Cleanup(f.up.Close)
	upURL := opts.upstreamURL
	if upURL == nil {
		upURL = mustParse(t, f.up.URL)
	}

	f.srv = httptest.NewUnstartedServer(nil)
	gwURL := "http://" + f.srv.Listener.Addr().String()
	users := opts.users
	if users == nil {
		users = testidp.DemoUsers()
	}
	idp := idptest.New(t, testidp.Options{Users: users,
		Clients: []testidp.Client{{ID: testClientID, RedirectURIs: []string{gwURL + "/oidc/callback"},
			PostLogoutRedirectURIs: []string{gwURL + "/"}}},
	})
	f.idp, f.idpSrv = idp.Provider, idp.HTTP
	issuer := idp.Issuer()
	if opts.idpDown {
		f.idpSrv.Listener.Close() // the port is closed until startIdP
	} else {
		idp.Serve(nil)
	}

	method := opts.method
	if method == "" {
		method = oidcflow.MethodImplicit
	}
	flowOpts := oidcflow.Options{
		Issuer: issuer, ClientID: testClientID, Method: method,
		HTTPClient:     &http.Client{Timeout: 5 * time.Second},
		Normalizer:     claims.Normalizer{RoleMap: map[string]string{"wandb-admins": claims.RoleAdmin}},
		JWKSMinRefresh: opts.jwksMinRefresh,
	}
	build := func(ctx context.Context) (*oidcflow.Flow, error) { return oidcflow.New(ctx, flowOpts) }
	flows := oidcflow.NewManager(oidcflow.ManagerOptions{
		Build: build,
		// Only a sign-in attempt retries discovery in these tests, never the timer.
		MinBackoff: time.Hour, MaxBackoff: time.Hour,
		OnAttempt: func(err error, _ time.Duration) {
			select {
			case f.attempts <- err:
			default:
			}
		},
	})
	if opts.idpDown {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); flows.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	} else if err := flows.Replace(context.Background(), build); err != nil {
		t.Fatalf("discovery: %v", err)
	}

	var publicURL *url.URL
	if opts.publicURL != "" {
		publicURL = mustParse(t, opts.publicURL)
	}
	f.codec = newCodec(t)
	f.store = session.NewCookieStore(session.CookieOptions{Codec: f.codec, Secure: opts.secure})
	var sessions session.Store = f.store
	if opts.sessions != nil {
		sessions = opts.sessions(f.store)
	}
	var asserter Asserter = f.asserter
	if opts.asserter != nil {
		asserter = opts.asserter
	}
	renderer, err := web.New()
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	revoker := opts.revoker
	if revoker == nil {
		revoker = session.NewMemoryRevoker(nil, 0) // as the gateway gives the cookie store
	}
	logger := f.logs.logger()
	if opts.quiet {
		logger = slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	f.gw, err = New(Options{
		Flows: flows, Sessions: sessions, Codec: f.codec, Renderer: renderer,
		Logger:   logger,
		Upstream: upURL, PublicURL: publicURL, Trusted: opts.trusted, AllowedRedirectDomains: opts.allowedRedirectDomains,
		APIKeyPassthrough: opts.apiKeyPassthrough, PublicPaths: opts.publicPaths, Assertions: asserter, Rules: opts.rules, Secure: opts.secure, Settings: opts.settings, Restore: opts.restore,
		Hooks: opts.hooks, Revoker: revoker, CookieSessions: opts.cookieSessions, CSRF: opts.csrf, Server: opts.server,
	})
	if err != nil {
		t.Fatalf("proxy.New: %v", err)
	}
	f.srv.Config.Handler = f.gw
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

// startIdP opens the IdP's port that idpDown left closed, on the same address.
func (f *fixture) startIdP() {
	f.t.Helper()
	ln, err := net.Listen("tcp", f.idpSrv.Listener.Addr().String())
	if err != nil {
		f.t.Fatalf("reopening the IdP's port: %v", err)
	}
	f.idpSrv.Listener = ln
	f.idpSrv.Start()
}

// url is the gateway's absolute URL for path.
func (f *fixture) url(path string) string { return f.srv.URL + path }

func newCodec(t testing.TB) *session.Codec {
	t.Helper()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	c, err := session.NewCodec(secret)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func mustParse(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u
}
