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

// TestTokenClockEnv is the variable through which a gateway built with -tags testclock
// reads the offset of the clock that checks the IdP's tokens (exp, iat, nbf of ID,
// bearer and logout tokens); the shipped build ignores it.
const TestTokenClockEnv = "SSOGATE_TESTCLOCK_TOKENS_FILE"

// GatewayClock moves a clock of a gateway built with -tags testclock: it writes how
// far that clock is off the real one to a file the gateway reads on every call. Give
// the gateway Env. A session clock (NewGatewayClock) runs ahead, so minutes of
// SESSION_IDLE_TIMEOUT pass in an instant; only the session stores follow it. A token
// clock (NewGatewayTokenClock) may run behind or ahead of the IdP, so the IdP's real
// tokens arrive issued in the future or expired; only token checks follow it. Sign-in
// (whose login state lasts 10 minutes), revocation lists and the IdP keep the real
// time. For example:
//
//	var clockBuilder = testenv.Builder{Tags: "testclock"}
//
//	clock := testenv.NewGatewayTokenClock(t)
//	env := map[string]string{ /* the gateway's settings */ }
//	maps.Copy(env, clock.Env())
//	gw := testenv.StartGateway(t, clockBuilder.Build(t), env)
//	clock.Set(t, 2*time.Hour) // every token the IdP issues now has expired
type GatewayClock struct {
	env    string
	path   string
	offset time.Duration
}

// NewGatewayClock returns a session GatewayClock at offset 0, its file in t.TempDir().
func NewGatewayClock(t testing.TB) *GatewayClock {
	t.Helper()
	return newGatewayClock(t, TestClockEnv)
}

// NewGatewayTokenClock returns a token GatewayClock at offset 0, its file in
// t.TempDir(); its offset may be negative.
func NewGatewayTokenClock(t testing.TB) *GatewayClock {
	t.Helper()
	return newGatewayClock(t, TestTokenClockEnv)
}

func newGatewayClock(t testing.TB, env string) *GatewayClock {
	t.Helper()
	c := &GatewayClock{env: env, path: filepath.Join(t.TempDir(), "testclock")}
	c.Set(t, 0)
	return c
}

// Env is the gateway's environment entry naming the clock's file.
func (c *GatewayClock) Env() map[string]string { return map[string]string{c.env: c.path} }

// Offset returns how far the gateway's clock is off the real one.
func (c *GatewayClock) Offset() time.Duration { return c.offset }

// Advance moves the gateway's clock on by d (back when d is negative), at once.
func (c *GatewayClock) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	c.Set(t, c.offset+d)
}

// Set puts the gateway's clock offset off the real one, at once: the file is replaced
// by rename, so the gateway never reads half of it. (The session clock refuses a
// negative offset.)
func (c *GatewayClock) Set(t testing.TB, offset time.Duration) {
	t.Helper()
	tmp := c.path + ".new"
	if err := os.WriteFile(tmp, []byte(offset.String()), 0o600); err != nil {
		t.Fatalf("testenv: write the gateway clock: %v", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		t.Fatalf("testenv: write the gateway clock: %v", err)
	}
	c.offset = offset
}
