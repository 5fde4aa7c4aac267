package redisstore_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
	"github.com/ssogate/ssogate/session/storetest"
)

// maxOutageLatency is how long an operation may take to report an outage; the
// store's operation timeout is 1s.
const maxOutageLatency = 3 * time.Second

// TestOutage stops Redis: every operation fails fast with ErrUnavailable (never
// ErrNoSession, which would sign users out); when Redis is back, the session saved
// before the outage loads again.
func TestOutage(t *testing.T) {
	r := testenv.StartDurableRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{OpTimeout: time.Second})
	want := storetest.Sample()
	jar := saveNew(t, s, want)
	if !loads(t, s, jar) {
		t.Fatalf("session does not load before the outage")
	}

	r.Stop(t)
	checkUnavailable(t, s, jar)

	r.Start(t)
	var got *session.Session
	var err error
	if !eventually(10*time.Second, func() bool {
		got, err = s.Load(requestWith(jar))
		return err == nil
	}) {
		t.Fatalf("Load after Redis restarted: %v", err)
	}
	if got.ID != want.ID || got.RefreshToken != want.RefreshToken || got.Identity.Email != want.Identity.Email {
		t.Errorf("after restart: got %s/%s/%s, want %s/%s/%s", got.ID, got.RefreshToken, got.Identity.Email, want.ID, want.RefreshToken, want.Identity.Email)
	}
}

// TestBlackhole points the store at a server that accepts connections and never
// answers, as a partitioned network does: operations must time out, not hang.
func TestBlackhole(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		conns.Wait()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						c.Close()
						return
					}
				}
			})
		}
	}()
	// The store's Close runs in cleanup before the listener's, ending its connections.
	s := newStore(t, "redis://"+l.Addr().String()+"/0", redisstore.Options{OpTimeout: 500 * time.Millisecond})
	// A valid ticket comes from a store with the same codec on a live Redis.
	live := testenv.StartRedis(t)
	jar := saveNew(t, newStore(t, live.URL(), redisstore.Options{}), storetest.Sample())
	checkUnavailable(t, s, jar)
}

// checkUnavailable runs each operation against an unreachable Redis and checks it
// fails with ErrUnavailable within maxOutageLatency.
func checkUnavailable(t *testing.T, s *redisstore.Store, jar map[string]string) {
	t.Helper()
	ctx := context.Background()
	ops := []struct {
		name string
		run  func() error
	}{
		{"Load", func() error { _, err := s.Load(requestWith(jar)); return err }},
		{"Save", func() error { return s.Save(httptest.NewRecorder(), requestWith(nil), storetest.Sample()) }},
		{"Ping", func() error { return s.Ping(ctx) }},
		{"DeleteBySID", func() error { _, err := s.DeleteBySID(ctx, "idp-sid-1"); return err }},
		{"Count", func() error { _, err := s.Count(ctx); return err }},
		{"Lock", func() error { _, _, err := s.Lock(ctx, "sess-1", time.Second); return err }},
		{"Delete", func() error { return s.Delete(httptest.NewRecorder(), requestWith(jar)) }},
	}
	for _, op := range ops {
		start := time.Now()
		err := op.run()
		elapsed := time.Since(start)
		t.Logf("%s during outage: %v after %v", op.name, err, elapsed.Round(time.Millisecond))
		if !errors.Is(err, redisstore.ErrUnavailable) || errors.Is(err, session.ErrNoSession) {
			t.Errorf("%s during outage = %v, want ErrUnavailable and not ErrNoSession", op.name, err)
		}
		if elapsed > maxOutageLatency {
			t.Errorf("%s took %v to report the outage, want under %v", op.name, elapsed, maxOutageLatency)
		}
	}
}
