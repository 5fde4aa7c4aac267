package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/demo"
)

// demoCommand runs the development IdP, the demo upstream and the gateway on loopback.
func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:4180", "loopback address of the gateway")
	opsAddr := fs.String("ops-addr", "127.0.0.1:9180", "loopback address of /healthz, /readyz and /metrics")
	method := fs.String("auth-method", config.MethodPKCE, `sign-in flow: "pkce" or "implicit"`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *method != config.MethodPKCE && *method != config.MethodImplicit {
		fmt.Fprintf(stderr, "ssogate demo: --auth-method %q: want %q or %q\n", *method, config.MethodPKCE, config.MethodImplicit)
		return 2
	}
	for _, a := range []string{*listen, *opsAddr} {
		if !loopbackAddr(a) {
			fmt.Fprintf(stderr, "ssogate demo: %q is not a loopback address; the demo only listens on 127.0.0.1, ::1 or localhost\n", a)
			return 2
		}
	}
	gatewayURL := "http://" + *listen
	env, err := demo.Start(gatewayURL)
	if err != nil {
		fmt.Fprintf(stderr, "ssogate demo: %v\n", err)
		return 1
	}
	defer env.Close()
	dataDir, err := os.MkdirTemp("", "ssogate-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "ssogate demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dataDir)

	settings := map[string]string{
		"OIDC_ISSUER": env.Issuer, "OIDC_CLIENT_ID": demo.ClientID, "OIDC_AUTH_METHOD": *method,
		"UPSTREAM_URL": env.Upstream, "PUBLIC_URL": gatewayURL, "LISTEN_ADDR": *listen, "OPS_ADDR": *opsAddr,
		"DATA_DIR": dataDir, "LOG_FORMAT": "text", "ROLE_MAP": "wandb-admins=admin,ml-team=member",
		"API_KEY_PASSTHROUGH": "true",
	}
	lookup := func(k string) (string, bool) { v, ok := settings[k]; return v, ok }
	cfg, err := config.Load(nil, lookup)
	if err != nil {
		fmt.Fprintf(stderr, "ssogate demo: %v\n", err)
		return 1
	}
	logger := slog.New(newLogHandler(cfg, stdout)) // unbuffered: it shares the terminal with the banner
	fmt.Fprintf(stdout, `
  ssogate demo (%s flow)

  Open  %s/  and sign in as one of:
    alice / alice   groups wandb-admins, ml-team  (role admin)
    bob   / bob     group  ml-team                (role member)
    jisoo / jisoo   김지수, group ml-team

  With an API key instead (as the W&B SDK, SCIM and MCP clients do):
    curl -u api:%s %s/api/whoami

  Identity provider  %s
  Demo application   %s
  Health and metrics http://%s/readyz  /metrics
  Press Ctrl-C to stop.

`, *method, gatewayURL, demo.APIKey, gatewayURL, env.Issuer, env.Upstream, *opsAddr)
	load := func(saved config.Saved) (config.Config, error) { return config.LoadWithSaved(nil, lookup, saved) }
	if err := serve(ctx, cfg, load, nil, logger, nil, stderr); err != nil {
		logger.Error("ssogate demo stopped", "error", err.Error())
		return 1
	}
	return 0
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
