package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session/redisstore"
)

// TestLockOneWinner races replicas for one session's refresh lock: exactly one
// wins; after it unlocks, the next Lock succeeds.
func TestLockOneWinner(t *testing.T) {
	r := testenv.StartRedis(t)
	replicas := []*redisstore.Store{
		newStore(t, r.URL(), redisstore.Options{}),
		newStore(t, r.URL(), redisstore.Options{}),
	}
	ctx := context.Background()
	const racers = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		unlocks []func()
	)
	for i := range racers {
		wg.Go(func() {
			unlock, ok, err := replicas[i%2].Lock(ctx, "sess-1", time.Minute)
			if err != nil {
				t.Errorf("Lock: %v", err)
				return
			}
			if ok {
				mu.Lock()
				unlocks = append(unlocks, unlock)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(unlocks) != 1 {
		t.Fatalf("%d of %d concurrent Lock calls won, want 1", len(unlocks), racers)
	}
	if _, ok, _ := replicas[0].Lock(ctx, "sess-2", time.Minute); !ok {
		t.Errorf("Lock of another session while sess-1 is held: got refused, want taken")
	}
	unlocks[0]()
	unlocks[0]() // a second call is harmless
	unlock, ok, err := replicas[1].Lock(ctx, "sess-1", time.Minute)
	if err != nil || !ok {
		t.Fatalf("Lock after unlock = %v, %v; want taken", ok, err)
	}
	unlock()
}

// TestLockExpires leaves a lock unreleased: it frees itself after its TTL, and the
// late holder's unlock must not release the next holder's lock.
func TestLockExpires(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	admin := adminClient(t, r)
	ctx := context.Background()
	const ttl = 200 * time.Millisecond

	start := time.Now()
	lateUnlock, ok, err := s.Lock(ctx, "sess-1", ttl)
	if err != nil || !ok {
		t.Fatalf("first Lock = %v, %v; want taken", ok, err)
	}
	keys := admin.Keys(ctx, "ssogate:lock:*").Val()
	if len(keys) != 1 {
		t.Fatalf("lock keys = %q, want one", keys)
	}
	if pttl := admin.PTTL(ctx, keys[0]).Val(); pttl <= 0 || pttl > ttl {
		t.Errorf("lock PTTL = %v, want in (0, %v]", pttl, ttl)
	}
	var next func()
	if !eventually(5*time.Second, func() bool {
		var ok bool
		next, ok, err = s.Lock(ctx, "sess-1", time.Minute)
		return err == nil && ok
	}) {
		t.Fatalf("lock with TTL %v was not free after 5s (err %v)", ttl, err)
	}
	if waited := time.Since(start); waited < ttl-10*time.Millisecond {
		t.Errorf("lock with TTL %v was taken again after %v", ttl, waited)
	}
	lateUnlock()
	if _, ok, _ := s.Lock(ctx, "sess-1", time.Minute); ok {
		t.Errorf("the expired holder's unlock released the next holder's lock")
	}
	next()
}

func TestLockRejectsBadArguments(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	tests := []struct {
		name string
		id   string
		ttl  time.Duration
	}{
		{"empty ID", "", time.Second},
		{"zero ttl", "sess-1", 0},
		{"sub-millisecond ttl", "sess-1", time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok, err := s.Lock(context.Background(), tt.id, tt.ttl); err == nil || ok {
				t.Errorf("Lock(%q, %v) = %v, %v; want refused with an error", tt.id, tt.ttl, ok, err)
			}
		})
	}
}
