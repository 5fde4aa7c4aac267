package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
)

// revokerT0 is when the revocations in the revoker tests happen.
var revokerT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is a settable clock for one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// revokerImpl is one Revoker implementation under test.
type revokerImpl struct {
	name string
	new  func(t *testing.T, clk *clock) session.Revoker // a fresh, empty revoker reading clk
}

// revokerImpls returns the two Revoker implementations, so one table runs against
// both: they must agree. The Redis one shares a server, flushed for each revoker.
func revokerImpls(t *testing.T) []revokerImpl {
	t.Helper()
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	return []revokerImpl{
		{"memory", func(t *testing.T, clk *clock) session.Revoker { return session.NewMemoryRevoker(clk.Now, 100) }},
		{"redis", func(t *testing.T, clk *clock) session.Revoker {
			flush(t, admin)
			rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: r.URL(), Now: clk.Now})
			if err != nil {
				t.Fatalf("NewRevoker: %v", err)
			}
			t.Cleanup(func() { rv.Close() })
			return rv
		}},
	}
}

func TestRevokers(t *testing.T) {
	ctx := context.Background()
	const iss, sub = "https://idp.example.com", "00u1abcd"
	hour := revokerT0.Add(time.Hour)
	// Each case acts with the clock at revokerT0 (setup may move it), then asks.
	tests := []struct {
		name  string
		setup func(rv session.Revoker, clk *clock) error
		ask   func(rv session.Revoker) (bool, error)
		want  bool
	}{
		{"sid revoked",
			func(rv session.Revoker, _ *clock) error { return rv.Revoke(ctx, "sid-1", hour) },
			func(rv session.Revoker) (bool, error) { return rv.Revoked(ctx, "sid-1") }, true},
		{"other sid",
			func(rv session.Revoker, _ *clock) error { return rv.Revoke(ctx, "sid-1", hour) },
			func(rv session.Revoker) (bool, error) { return rv.Revoked(ctx, "sid-2") }, false},
		{"sid with until already passed",
			func(rv session.Revoker, _ *clock) error { return rv.Revoke(ctx, "sid-1", revokerT0.Add(-time.Second)) },
			func(rv session.Revoker) (bool, error) { return rv.Revoked(ctx, "sid-1") }, false},
		{"session created before the subject's revocation",
			func(rv session.Revoker, _ *clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(-time.Minute))
			}, true},
		{"session created at the revocation",
			func(rv session.Revoker, _ *clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) { return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0) }, true},
		{"session created after the revocation",
			func(rv session.Revoker, _ *clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(time.Second))
			}, false},
		{"same subject at another issuer",
			func(rv session.Revoker, _ *clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, "https://other.example.com", sub, revokerT0.Add(-time.Minute))
			}, false},
		{"subject is not a sid",
			func(rv session.Revoker, _ *clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) { return rv.Revoked(ctx, sub) }, false},
		{"second revocation ends sessions created in between",
			func(rv session.Revoker, clk *clock) error {
				if err := rv.RevokeSubject(ctx, iss, sub, hour); err != nil {
					return err
				}
				clk.Set(revokerT0.Add(10 * time.Minute))
				return rv.RevokeSubject(ctx, iss, sub, hour)
			},
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(5*time.Minute))
			}, true},
	}
	for _, impl := range revokerImpls(t) {
		t.Run(impl.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					clk := &clock{t: revokerT0}
					rv := impl.new(t, clk)
					if err := tt.setup(rv, clk); err != nil {
						t.Fatalf("setup: %v", err)
					}
					got, err := tt.ask(rv)
					if err != nil || got != tt.want {
						t.Errorf("got %v, %v; want %v, nil", got, err, tt.want)
					}
				})
			}
		})
	}
}

// TestRedisRevokerExpires checks that revocations leave Redis at their until, and
// that a second revocation never shortens how long the first is kept.
func TestRedisRevokerExpires(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: r.URL()})
	if err != nil {
		t.Fatalf("NewRevoker: %v", err)
	}
	t.Cleanup(func() { rv.Close() })
	ctx := context.Background()
	if err := rv.Revoke(ctx, "sid-long", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := rv.Revoke(ctx, "sid-long", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := rv.Revoke(ctx, "sid-short", time.Now().Add(150*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for _, k := range admin.Keys(ctx, "ssogate:rev:*").Val() {
		if strings.Contains(k, "sid-") {
			t.Errorf("revocation key %q holds the sid in clear", k)
		}
		if pttl := admin.PTTL(ctx, k).Val(); pttl <= 0 || pttl > time.Hour {
			t.Errorf("PTTL %s = %v, want in (0, 1h]", k, pttl)
		}
	}
	if !eventually(5*time.Second, func() bool { ok, err := rv.Revoked(ctx, "sid-short"); return err == nil && !ok }) {
		t.Errorf("sid-short still revoked 5s after its until")
	}
	if ok, err := rv.Revoked(ctx, "sid-long"); err != nil || !ok {
		t.Errorf("sid-long after sid-short expired = %v, %v; want revoked", ok, err)
	}
	keys := admin.Keys(ctx, "ssogate:rev:*").Val()
	if len(keys) != 1 {
		t.Fatalf("revocation keys = %q, want only sid-long's", keys)
	}
	if pttl := admin.PTTL(ctx, keys[0]).Val(); pttl < 59*time.Minute {
		t.Errorf("sid-long PTTL = %v after a shorter second revocation, want about 1h", pttl)
	}
}

func TestRedisRevokerUnavailable(t *testing.T) {
	r := testenv.StartRedis(t)
	rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: r.URL(), OpTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewRevoker: %v", err)
	}
	t.Cleanup(func() { rv.Close() })
	r.Stop(t)
	ctx := context.Background()
	sess := sample("sess-1", "sid-1", "https://idp.example.com", "alice")
	start := time.Now()
	err = session.CheckRevoked(ctx, rv, sess)
	if !errors.Is(err, redisstore.ErrUnavailable) || errors.Is(err, session.ErrNoSession) {
		t.Errorf("CheckRevoked with Redis down = %v, want ErrUnavailable and not ErrNoSession", err)
	}
	if elapsed := time.Since(start); elapsed > maxOutageLatency {
		t.Errorf("CheckRevoked took %v with Redis down, want under %v", elapsed, maxOutageLatency)
	}
	if err := rv.Revoke(ctx, "sid-1", time.Now().Add(time.Hour)); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("Revoke with Redis down = %v, want ErrUnavailable", err)
	}
}
