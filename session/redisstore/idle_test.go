package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session/redisstore"
)

// TestIdleTimeoutSlides: with an idle timeout, a session's record expires that long
// after its last use. Use slides the expiry at most once a minute across replicas:
// the first use a minute on writes, a second replica's use in the same minute does
// not, and a session left alone is gone once the expiry passes.
func TestIdleTimeoutSlides(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	ctx := context.Background()
	clk := testenv.NewClock(time.Now())
	opts := redisstore.Options{IdleTimeout: time.Hour, SessionLength: 8 * time.Hour, Now: clk.Now}
	a, b := newStore(t, r.URL(), opts), newStore(t, r.URL(), opts)
	sess := sample("sess-idle", "sid-idle", issA, "alice")
	sess.CreatedAt, sess.ExpiresAt = clk.Now(), clk.Now().Add(8*time.Hour)
	jar := saveNew(t, a, sess)
	keys := admin.Keys(ctx, "ssogate:s:*").Val()
	if len(keys) != 1 {
		t.Fatalf("records = %q, want one", keys)
	}
	rec := keys[0]
	pttl := func() time.Duration { return admin.PTTL(ctx, rec).Val() }
	if got := pttl(); got < 59*time.Minute || got > time.Hour {
		t.Fatalf("PTTL after sign-in = %v, want about the idle timeout (1h)", got)
	}
	shorten := func() {
		t.Helper()
		if err := admin.PExpire(ctx, rec, 10*time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}

	shorten() // stands for 50 minutes of Redis's clock
	clk.Advance(30 * time.Second)
	if !loads(t, a, jar) {
		t.Fatalf("session does not load 30s after sign-in")
	}
	if got := pttl(); got > 10*time.Minute {
		t.Errorf("PTTL after a use 30s after sign-in = %v, want unchanged (at most one write a minute)", got)
	}
	clk.Advance(time.Minute)
	if !loads(t, a, jar) {
		t.Fatalf("session does not load 90s after sign-in")
	}
	if got := pttl(); got < 59*time.Minute {
		t.Errorf("PTTL after a use 90s after sign-in = %v, want slid to about 1h", got)
	}
	shorten()
	clk.Advance(20 * time.Second)
	if !loads(t, b, jar) {
		t.Fatalf("session does not load on replica B")
	}
	if got := pttl(); got > 10*time.Minute {
		t.Errorf("PTTL after replica B's use 20s after A's write = %v, want unchanged", got)
	}
	if err := admin.PExpire(ctx, rec, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if !eventually(2*time.Second, func() bool { return !loads(t, b, jar) }) {
		t.Errorf("session still loads after its idle expiry passed")
	}
}

// TestNoIdleTimeoutKeepsExpiry: without an idle timeout, use never moves the
// record's expiry.
func TestNoIdleTimeoutKeepsExpiry(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	ctx := context.Background()
	clk := testenv.NewClock(time.Now())
	s := newStore(t, r.URL(), redisstore.Options{SessionLength: 8 * time.Hour, Now: clk.Now})
	jar := saveNew(t, s, sample("sess-plain", "sid-plain", issA, "alice"))
	rec := admin.Keys(ctx, "ssogate:s:*").Val()[0]
	admin.PExpire(ctx, rec, 10*time.Minute)
	clk.Advance(5 * time.Minute)
	if !loads(t, s, jar) {
		t.Fatalf("session does not load")
	}
	if got := admin.PTTL(ctx, rec).Val(); got > 10*time.Minute {
		t.Errorf("PTTL after a use without idle timeout = %v, want unchanged", got)
	}
}
