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
// real clock whatever SSOGATE_TESTCLOCK_FILE says, and says nothing about it.
func TestShippedBuildIgnoresTestClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offset")
	if err := os.WriteFile(path, []byte("3h"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSOGATE_TESTCLOCK_FILE", path)
	var logs bytes.Buffer
	now, err := sessionClock(slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("sessionClock: %v", err)
	}
	if d := time.Until(now()); d < -time.Minute || d > time.Minute {
		t.Errorf("the session clock is %v off the real one, want the real clock", d)
	}
	if logs.Len() != 0 {
		t.Errorf("the shipped build logged about the test clock: %s", logs.String())
	}
}
