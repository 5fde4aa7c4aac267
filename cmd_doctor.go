package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/doctor"
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
	for _, r := range cfg.Risks() {
		fmt.Fprintf(stdout, "! %s\n", r) // works, but leaves the gateway exposed
	}
	if !ok {
		return 1
	}
	return 0
}
