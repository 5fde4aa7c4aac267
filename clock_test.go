//go:build !testclock

package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestShippedBuildIgnoresTestClock: a binary built without -tags testclock keeps the
// real clocks whatever SSOGATE_TESTCLOCK_FILE and SSOGATE_TESTCLOCK_TOKENS_FILE say,
// and says nothing about them.
func TestShippedBuildIgnoresTestClock(t *testing.T) {
	for _, tc := range []struct {
		env   string
		clock func(*slog.Logger) (func() time.Time, error)
	}{{"SSOGATE_TESTCLOCK_FILE", sessionClock}, {"SSOGATE_TESTCLOCK_TOKENS_FILE", tokenClock}} {
		path := filepath.Join(t.TempDir(), "offset")
		if err := os.WriteFile(path, []byte("3h"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(tc.env, path)
		var logs bytes.Buffer
		now, err := tc.clock(slog.New(slog.NewJSONHandler(&logs, nil)))
		if err != nil {
			t.Fatalf("the clock of %s: %v", tc.env, err)
		}
		if d := time.Until(now()); d < -time.Minute || d > time.Minute {
			t.Errorf("with %s set the clock is %v off the real one, want the real clock", tc.env, d)
		}
		if logs.Len() != 0 {
			t.Errorf("the shipped build logged about %s: %s", tc.env, logs.String())
		}
	}
}
