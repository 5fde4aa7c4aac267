//go:build testclock

package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTestClockFollowsItsFile: with -tags testclock the session clock runs ahead by
// the offset in SSOGATE_TESTCLOCK_FILE, read again on every call, and the start says
// so; a file that does not hold a duration stops the start.
func TestTestClockFollowsItsFile(t *testing.T) {
	path, write := offsetFile(t)
	write("0s")
	t.Setenv("SSOGATE_TESTCLOCK_FILE", path)
	var logs bytes.Buffer
	now, err := sessionClock(slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("sessionClock: %v", err)
	}
	if !strings.Contains(logs.String(), "TEST CLOCK") {
		t.Errorf("start log %q, want a TEST CLOCK warning", logs.String())
	}
	write("3m\n")
	if d := time.Until(now()); d < 3*time.Minute-time.Second || d > 3*time.Minute+time.Second {
		t.Errorf("after writing 3m the clock is %v ahead, want 3m", d)
	}
	write("not a duration")
	if d := time.Until(now()); d < 3*time.Minute-time.Second {
		t.Errorf("after an unreadable offset the clock is %v ahead, want the last offset, 3m", d)
	}
	for _, bad := range []string{"soon", "-1m"} {
		write(bad)
		if _, err := sessionClock(slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "SSOGATE_TESTCLOCK_FILE") {
			t.Errorf("start with offset %q: %v, want an error naming SSOGATE_TESTCLOCK_FILE", bad, err)
		}
	}
}

// TestTokenClockFollowsItsFile: with -tags testclock the clock that checks the IdP's
// tokens is off the real one by the offset in SSOGATE_TESTCLOCK_TOKENS_FILE, behind
// as well as ahead, read again on every call; the session clock does not follow it.
func TestTokenClockFollowsItsFile(t *testing.T) {
	path, write := offsetFile(t)
	write("-1h")
	t.Setenv("SSOGATE_TESTCLOCK_TOKENS_FILE", path)
	var logs bytes.Buffer
	now, err := tokenClock(slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("tokenClock: %v", err)
	}
	if !strings.Contains(logs.String(), "TEST CLOCK") || !strings.Contains(logs.String(), "SSOGATE_TESTCLOCK_TOKENS_FILE") {
		t.Errorf("start log %q, want a TEST CLOCK warning naming SSOGATE_TESTCLOCK_TOKENS_FILE", logs.String())
	}
	if d := time.Until(now()); d > -time.Hour+time.Second || d < -time.Hour-time.Second {
		t.Errorf("with -1h the token clock is %v off, want -1h", d)
	}
	write("2h")
	if d := time.Until(now()); d < 2*time.Hour-time.Second || d > 2*time.Hour+time.Second {
		t.Errorf("after writing 2h the token clock is %v off, want 2h", d)
	}
	session, err := sessionClock(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("sessionClock: %v", err)
	}
	if d := time.Until(session()); d < -time.Second || d > time.Second {
		t.Errorf("the session clock is %v off with only the token clock set, want the real clock", d)
	}
	write("soon")
	if _, err := tokenClock(slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "SSOGATE_TESTCLOCK_TOKENS_FILE") {
		t.Errorf("start with offset %q: %v, want an error naming SSOGATE_TESTCLOCK_TOKENS_FILE", "soon", err)
	}
}

// offsetFile returns the path of a clock file in t.TempDir() and a func that writes it.
func offsetFile(t *testing.T) (string, func(string)) {
	path := filepath.Join(t.TempDir(), "offset")
	return path, func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
