//go:build !testclock

package main

import (
	"log/slog"
	"time"
)

// sessionClock is the clock of the session stores (when a session was last used,
// whether it idled out): the real one. (A binary built with -tags testclock can run it
// ahead for the end-to-end tests of SESSION_IDLE_TIMEOUT: clock_testclock.go. This
// build reads no variable for it.)
func sessionClock(*slog.Logger) (func() time.Time, error) { return time.Now, nil }

// tokenClock is the clock the IdP's tokens are checked against (exp, iat, nbf): the
// real one. (A binary built with -tags testclock can set it off the IdP's, for the
// end-to-end tests of expired and future tokens. This build reads no variable for it.)
func tokenClock(*slog.Logger) (func() time.Time, error) { return time.Now, nil }
