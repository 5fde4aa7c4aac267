package testenv

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Clock is a settable time source for code that takes a Now func() time.Time (a Flow,
// testidp, a session store or revoker). It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestClockEnv is the variable through which a gateway built with -tags testclock
// (Builder.Tags) reads its session clock's offset; the shipped build ignores it.
const TestClockEnv = "SSOGATE_TESTCLOCK_FILE"

// GatewayClock moves the session clock of a gateway built with -tags testclock: it
// writes how far that clock runs ahead of the real one to a file the gateway reads on
// every call, so minutes of SESSION_IDLE_TIMEOUT pass in an instant. Give the gateway
// Env. Only the session stores follow it; sign-in (whose login state lasts 10
// minutes), revocation lists and the IdP keep the real time.
type GatewayClock struct {
	path   string
	offset time.Duration
}

// NewGatewayClock returns a GatewayClock at offset 0, its file in t.TempDir().
func NewGatewayClock(t testing.TB) *GatewayClock {
	t.Helper()
	c := &GatewayClock{path: filepath.Join(t.TempDir(), "testclock")}
	c.Advance(t, 0)
	return c
}

// Env is the gateway's environment entry naming the clock's file.
func (c *GatewayClock) Env() map[string]string { return map[string]string{TestClockEnv: c.path} }

// Offset returns how far the gateway's session clock runs ahead of the real one.
func (c *GatewayClock) Offset() time.Duration { return c.offset }

// Advance moves the gateway's session clock on by d, at once: the file is replaced
// by rename, so the gateway never reads half of it.
func (c *GatewayClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	next := c.offset + d
	tmp := c.path + ".new"
	if err := os.WriteFile(tmp, []byte(next.String()), 0o600); err != nil {
		t.Fatalf("testenv: write the gateway clock: %v", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		t.Fatalf("testenv: write the gateway clock: %v", err)
	}
	c.offset = next
}
