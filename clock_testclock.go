//go:build testclock

package main

// The test clocks: only a binary built with -tags testclock has them, for the
// end-to-end tests that let minutes of SESSION_IDLE_TIMEOUT pass in an instant, or that
// put the gateway's clock off the IdP's so its real tokens arrive expired or issued in
// the future. The shipped binary (scripts/build.sh, the Dockerfile, go build) is built
// without the tag and uses the real clock whatever the environment says (clock.go).

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// testClockEnv names a file holding how far the session clock runs ahead of the real
// one, as a Go duration ("0s", "3m30s"). It is read on every call, so a test moves
// the clock by rewriting the file (atomically, by rename).
const testClockEnv = "SSOGATE_TESTCLOCK_FILE"

// testTokenClockEnv names a file holding how far the clock that checks the IdP's
// tokens is off the real one, as a Go duration: negative runs it behind ("-1h"),
// positive ahead. It is read like testClockEnv's.
const testTokenClockEnv = "SSOGATE_TESTCLOCK_TOKENS_FILE"

// sessionClock returns the session stores' clock: the real one plus the offset the
// file testClockEnv names holds, or the real one when the variable is unset. Only
// the stores follow it (SESSION_IDLE_TIMEOUT); sign-in, revocation lists and the
// IdP keep the real time. The file must be readable
// at start; later a failed read keeps the last offset read.
func sessionClock(logger *slog.Logger) (func() time.Time, error) {
	return offsetClock(logger, testClockEnv, "the session clock", false)
}

// tokenClock returns the clock the IdP's ID, bearer and logout tokens are checked
// against: the real one plus the offset (which may be negative) the file
// testTokenClockEnv names holds, or the real one when the variable is unset. Login
// state, sessions and JWKS refreshes keep the real time.
func tokenClock(logger *slog.Logger) (func() time.Time, error) {
	return offsetClock(logger, testTokenClockEnv, "the clock that checks the IdP's tokens", true)
}

// offsetClock is the real clock plus the offset in the file the variable env names,
// read on every call (a failed read keeps the last offset); the real clock when env
// is unset. The file must hold a valid offset at start.
func offsetClock(logger *slog.Logger, env, what string, negative bool) (func() time.Time, error) {
	path := os.Getenv(env)
	if path == "" {
		return time.Now, nil
	}
	first, err := readOffset(path, negative)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	logger.Warn("TEST CLOCK: this binary was built with -tags testclock for tests; "+what+" follows "+env,
		"file", path, "offset", first.String())
	var last atomic.Int64
	last.Store(int64(first))
	return func() time.Time {
		if d, err := readOffset(path, negative); err == nil {
			last.Store(int64(d))
		}
		return time.Now().Add(time.Duration(last.Load()))
	}, nil
}

// readOffset reads the offset in the file at path; a negative one is refused unless
// negative is set.
func readOffset(path string, negative bool) (time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("read the offset in %s: %w", path, err)
	}
	if d < 0 && !negative {
		return 0, errors.New("the offset must not be negative")
	}
	return d, nil
}
