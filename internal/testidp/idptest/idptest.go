// Package idptest serves internal/testidp on 127.0.0.1 for tests: the one starter the
// tests of every package use. A Server's issuer is its own loopback address, known
// before the provider is built, and the server is closed when the test ends.
package idptest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ssogate/ssogate/internal/testidp"
)

// Server is a test IdP and the loopback server it is (or will be) served on.
type Server struct {
	*testidp.Provider
	HTTP *httptest.Server
}

// New builds a provider with opts, its Issuer set to a fresh 127.0.0.1 address that
// is not serving yet: call Serve (or Start instead of New).
func New(t testing.TB, opts testidp.Options) *Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	opts.Issuer = "http://" + srv.Listener.Addr().String()
	p, err := testidp.New(opts)
	if err != nil {
		srv.Listener.Close()
		t.Fatalf("idptest: testidp.New: %v", err)
	}
	srv.Config.Handler = p
	t.Cleanup(srv.Close)
	return &Server{Provider: p, HTTP: srv}
}

// Start is New, then Serve with the provider itself.
func Start(t testing.TB, opts testidp.Options) *Server {
	t.Helper()
	s := New(t, opts)
	s.Serve(nil)
	return s
}

// Serve starts answering, through wrap(provider) when wrap is set (to observe or
// change some answers), else through the provider itself.
func (s *Server) Serve(wrap func(http.Handler) http.Handler) {
	if wrap != nil {
		s.HTTP.Config.Handler = wrap(s.Provider)
	}
	s.HTTP.Start()
}

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.HTTP.Client() }
