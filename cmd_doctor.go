package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
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
	for _, c := range checkStores(ctx, cfg) {
		mark := "✓"
		if c.err != nil {
			mark, ok = "✗", false
		}
		fmt.Fprintf(stdout, "%s %s: %s\n", mark, c.name, c.detail())
	}
	for _, r := range cfg.Risks() {
		fmt.Fprintf(stdout, "! %s\n", r) // works, but leaves the gateway exposed
	}
	if !ok {
		return 1
	}
	return 0
}

// storeCheck is whether the Redis a store setting names answered.
type storeCheck struct {
	name, setting, url string
	err                error
}

func (c storeCheck) detail() string {
	if c.err != nil {
		return fmt.Sprintf("%s=%q does not answer: %v; check the address, the password and that this machine can reach it (docs/sessions.md)",
			c.setting, config.ShowURLText(c.url), c.err)
	}
	return fmt.Sprintf("%s=%q answers", c.setting, config.ShowURLText(c.url))
}

// checkStores pings the Redis of SESSION_STORE and of REVOCATION_STORE, when they
// name one, as the gateway's readiness check would.
func checkStores(ctx context.Context, cfg config.Config) []storeCheck {
	var out []storeCheck
	for _, s := range []storeCheck{{name: "session store", setting: "SESSION_STORE", url: cfg.SessionStore},
		{name: "revocation store", setting: "REVOCATION_STORE", url: cfg.RevocationStore}} {
		if !isRedisURL(s.url) {
			continue
		}
		redisstore.SetLogger(slog.New(slog.DiscardHandler)) // the check's line says it all
		rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: s.url, OpTimeout: 5 * time.Second})
		if err == nil {
			err = rv.Ping(ctx)
			_ = rv.Close()
		}
		s.err = err
		out = append(out, s)
	}
	return out
}
