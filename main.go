// Command ssogate is an OpenID Connect authentication gateway: it signs users in with
// the organisation's identity provider and forwards their requests, with identity
// headers and a signed identity assertion, to the application behind it.
//
//	ssogate [serve] [flags]   run the gateway (settings: ssogate --help)
//	ssogate demo              a complete local demonstration, no setup
//	ssogate doctor            check the configuration against the real IdP
//	ssogate version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/logbuf"
	"github.com/ssogate/ssogate/internal/memlimit"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/proxy"
)

// logFlushInterval is the longest a log line waits before it is written.
const logFlushInterval = 100 * time.Millisecond

// gcPercent is the garbage collector's growth target when GOGC is not set: a
// gateway's live heap is small, so Go's default of 100 collects many times a second
// under load. 200 halves that work for a few MiB of memory (bench/README.md).
const gcPercent = 200

// checkGOGC reports a GOGC the Go runtime would ignore without a word, collecting
// at 100 instead of what the operator meant (or ssogate's 200).
func checkGOGC(lookup func(string) (string, bool)) error {
	v, _ := lookup("GOGC")
	if v == "" || v == "off" {
		return nil
	}
	if _, err := strconv.ParseInt(v, 10, 32); err != nil {
		return fmt.Errorf("GOGC=%q: must be a whole number, the percentage the heap may grow between collections (ssogate's default is %d), or off", v, gcPercent)
	}
	return nil
}

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches the subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stdout, stderr)
	case "demo":
		return demoCommand(ctx, args, stdout, stderr)
	case "doctor":
		return doctorCommand(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "ssogate", version)
		return 0
	case "help":
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	fmt.Fprintf(stderr, "ssogate: unknown command %q; commands: serve, demo, doctor, version (ssogate --help lists the settings)\n", cmd)
	return 2
}

// serveCommand loads and validates the settings, then runs the gateway.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	if err = errors.Join(err, tracing.Check(os.LookupEnv), checkStoreURLs(cfg, err), checkGOGC(os.LookupEnv)); err != nil {
		fmt.Fprintf(stderr, "ssogate: the configuration has problems; nothing was started:\n%s\n", indent(err.Error()))
		return 2
	}
	tr, err := tracing.Setup(ctx, os.LookupEnv, version)
	if err != nil {
		fmt.Fprintf(stderr, "ssogate: %v\n", err)
		return 2
	}
	// One write per batch of access lines, not per request; every other line is
	// written at once, and whatever waits is written on the way out.
	logOut := logbuf.New(stdout, logFlushInterval)
	defer logOut.Close()
	logger := slog.New(logOut.Handler(tr.LogHandler(newLogHandler(cfg, logOut)), proxy.AccessLogMessage))
	accessLog := newAccessLog(logOut, logger, tr)
	tr.LogErrors(logger)
	defer func() {
		// Spans still buffered are sent before the process ends.
		ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		if err := tr.Shutdown(ctx); err != nil {
			logger.Warn("tracing: exporting the last spans failed", "error", err.Error())
		}
	}()
	if v, _ := os.LookupEnv("GOGC"); v == "" {
		debug.SetGCPercent(gcPercent)
	}
	// Without GOMEMLIMIT, a soft limit bounds the garbage GOGC=200 lets pile up when
	// many connections are open (bench/README.md), and follows the live memory above it.
	defer memlimit.Start(os.LookupEnv).Stop()
	load := func(saved config.Saved) (config.Config, error) {
		return config.LoadWithSaved(args, os.LookupEnv, saved)
	}
	if err := serve(ctx, cfg, load, tr, logger, accessLog, stderr); err != nil {
		logger.Error("ssogate stopped", "error", err.Error())
		return 1
	}
	return 0
}
