// Package demo runs the parts of `ssogate demo` that stand around the gateway, all on
// loopback: a development OpenID provider with test users, and a small upstream page
// that shows the identity it received and whether the signed assertion verifies.
package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/ssogate/ssogate/internal/testidp"
)

// ClientID is the demo IdP's client for the gateway.
const ClientID = "ssogate-demo"

// Env is a running demo IdP and upstream.
type Env struct {
	Issuer   string // the demo IdP's issuer URL
	Upstream string // the demo upstream's URL
	Users    []testidp.User

	servers []*http.Server
}

// Start runs the demo IdP and upstream on 127.0.0.1, for a gateway reachable at
// gatewayURL (its callback and logout return URLs are registered at the IdP).
func Start(gatewayURL string) (*Env, error) {
	gw, err := url.Parse(gatewayURL)
	if err != nil || !isLoopback(gw.Hostname()) {
		return nil, fmt.Errorf("demo: the gateway URL %q must be on loopback (127.0.0.1, ::1 or localhost)", gatewayURL)
	}
	env := &Env{Users: testidp.DemoUsers()}
	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo IdP: %w", err)
	}
	env.Issuer = "http://" + idpLn.Addr().String()
	idp, err := testidp.New(testidp.Options{
		Issuer: env.Issuer,
		Users:  env.Users,
		Clients: []testidp.Client{{
			ID:                     ClientID,
			RedirectURIs:           []string{gatewayURL + "/oidc/callback"},
			PostLogoutRedirectURIs: []string{gatewayURL + "/"},
		}},
		LoginNote: "Demo accounts: alice / alice (wandb-admins, ml-team), bob / bob (ml-team), jisoo / jisoo (김지수).",
	})
	if err != nil {
		idpLn.Close()
		return nil, err
	}
	env.serve(idpLn, idp)

	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		env.Close()
		return nil, fmt.Errorf("demo upstream: %w", err)
	}
	env.Upstream = "http://" + upLn.Addr().String()
	env.serve(upLn, newUpstream(gatewayURL))
	return env, nil
}

func (e *Env) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// Close stops the demo servers.
func (e *Env) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range e.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
