package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/doctor"
	"github.com/ssogate/ssogate/session/redisstore"
)

// doctorCommand checks the configuration against the real IdP and explains each problem.
func doctorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	if err = errors.Join(err, checkStoreURLs(cfg, err)); err != nil {
		fmt.Fprintf(stdout, "✗ configuration:\n%s\n", indent(err.Error()))
		return 1
	}
	ok := true
	for _, c := range doctor.Run(ctx, cfg, doctor.Options{Client: &http.Client{Timeout: 10 * time.Second}}) {
		mark := "✓"
		switch c.Status {
		case doctor.Fail:
			mark, ok = "✗", false
		case doctor.Skipped:
			mark = "–"
		}
		fmt.Fprintf(stdout, "%s %s: %s\n", mark, c.ID, c.Detail)
	}
	for _, c := range append(checkUpstream(ctx, cfg), checkStores(ctx, cfg)...) {
		if c.err != nil {
			ok = false
		}
		fmt.Fprintln(stdout, c.line())
	}
	for _, r := range cfg.Risks() {
		fmt.Fprintf(stdout, "! %s\n", r) // works, but leaves the gateway exposed
	}
	if !ok {
		return 1
	}
	return 0
}

// reach is a check that the gateway reaches something besides the IdP.
type reach struct {
	name   string // "upstream", "session store", "revocation store"
	target string // NAME="value", any password hidden
	answer string // what answered, when it did ("HTTP 200")
	err    error
	fix    string // what to look at when it does not answer
}

func (c reach) line() string {
	if c.err != nil {
		return fmt.Sprintf("✗ %s: %s does not answer: %v; %s", c.name, c.target, c.err, c.fix)
	}
	if c.answer != "" {
		return fmt.Sprintf("✓ %s: %s answers (%s)", c.name, c.target, c.answer)
	}
	return fmt.Sprintf("✓ %s: %s answers", c.name, c.target)
}

// checkUpstream sends GET / to UPSTREAM_URL, without following a redirect: any HTTP
// answer shows the gateway can reach the application.
func checkUpstream(ctx context.Context, cfg config.Config) []reach {
	u := cfg.UpstreamURL
	if u == nil {
		return nil // forward-auth only
	}
	c := reach{name: "upstream", target: fmt.Sprintf("UPSTREAM_URL=%q", u.Redacted()),
		fix: "UPSTREAM_URL must be the application's address as this machine reaches it (in Kubernetes, its Service or, as a sidecar, 127.0.0.1 and its port)"}
	transport := &http.Transport{Proxy: nil}
	target := *u
	if u.Scheme == "unix" {
		socket := u.Path
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}
		target = url.URL{Scheme: "http", Host: "localhost"}
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.JoinPath("/").String(), nil)
	if err == nil {
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			resp.Body.Close()
			c.answer = "HTTP " + strconv.Itoa(resp.StatusCode)
		}
	}
	c.err = err
	return []reach{c}
}

// checkStores pings the Redis of SESSION_STORE and of REVOCATION_STORE, when they
// name one, as the gateway's readiness check would.
func checkStores(ctx context.Context, cfg config.Config) []reach {
	var out []reach
	for _, s := range []struct{ name, setting, url string }{{"session store", "SESSION_STORE", cfg.SessionStore},
		{"revocation store", "REVOCATION_STORE", cfg.RevocationStore}} {
		if !isRedisURL(s.url) {
			continue
		}
		redisstore.SetLogger(slog.New(slog.DiscardHandler)) // the check's line says it all
		rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: s.url, OpTimeout: 5 * time.Second})
		if err == nil {
			err = rv.Ping(ctx)
			_ = rv.Close()
		}
		out = append(out, reach{name: s.name, target: fmt.Sprintf("%s=%q", s.setting, config.ShowURLText(s.url)), err: err,
			fix: "check the address, the password and that this machine can reach it (docs/sessions.md)"})
	}
	return out
}
