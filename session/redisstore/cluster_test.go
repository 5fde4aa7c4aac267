package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
	"github.com/ssogate/ssogate/session/storetest"
)

// clusterAdmin returns a cluster client for inspecting and flushing the test cluster.
func clusterAdmin(t testing.TB, c *testenv.RedisCluster) *redis.ClusterClient {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), DialTimeout: time.Second, ReadTimeout: time.Second})
	t.Cleanup(func() { cc.Close() })
	return cc
}

// flushCluster empties every master of the cluster.
func flushCluster(t testing.TB, cc *redis.ClusterClient) {
	t.Helper()
	err := cc.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		return m.FlushDB(ctx).Err()
	})
	if err != nil {
		t.Fatalf("FLUSHDB on every master: %v", err)
	}
}

// TestCluster runs the store and revoker suites on a real Redis Cluster of three
// masters and three replicas, then ends sessions spread over every master by
// subject and by IdP session ID from another replica of the gateway.
func TestCluster(t *testing.T) {
	c := testenv.StartRedisCluster(t)
	admin := clusterAdmin(t, c)
	t.Run("store conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) session.Store {
			flushCluster(t, admin)
			return newStore(t, c.URL(), redisstore.Options{})
		})
	})
	t.Run("revoker conformance", func(t *testing.T) {
		storetest.RunRevoker(t, func(t *testing.T, now func() time.Time) session.Revoker {
			flushCluster(t, admin)
			return newRevoker(t, c.URL(), now)
		})
	})
	t.Run("logout everywhere across slots", func(t *testing.T) {
		flushCluster(t, admin)
		a := newStore(t, c.URL(), redisstore.Options{})
		b := newStore(t, c.URL(), redisstore.Options{})
		const n = 24
		jars := make([]map[string]string, n)
		for i := range jars {
			// Even sessions share one IdP session; all are alice's.
			sid := fmt.Sprintf("sid-%d", i)
			if i%2 == 0 {
				sid = "sid-shared"
			}
			jars[i] = saveNew(t, a, sample(fmt.Sprintf("sess-%d", i), sid, issA, "alice"))
		}
		masters := map[string]bool{}
		for _, k := range c.Keys(t, "ssogate:s:*") {
			masters[c.MasterOf(t, k)] = true
		}
		if len(masters) < 2 {
			t.Fatalf("%d sessions landed on %d master(s), want several", n, len(masters))
		}
		ctx := context.Background()
		if got, err := b.DeleteBySID(ctx, "sid-shared"); err != nil || got != n/2 {
			t.Errorf("DeleteBySID = %d, %v; want %d, nil", got, err, n/2)
		}
		for i, jar := range jars {
			if got, want := loads(t, a, jar), i%2 == 1; got != want {
				t.Errorf("session %d signed in = %v after the shared sid's logout, want %v", i, got, want)
			}
		}
		if got, err := b.DeleteBySubject(ctx, issA, "alice"); err != nil || got != n/2 {
			t.Errorf("DeleteBySubject = %d, %v; want %d, nil", got, err, n/2)
		}
		for i, jar := range jars {
			if loads(t, a, jar) {
				t.Errorf("session %d still signed in after the subject's logout", i)
			}
		}
		if got, err := a.Count(ctx); err != nil || got != 0 {
			t.Errorf("Count = %d, %v; want 0, nil", got, err)
		}
	})
}

// TestClusterFailover kills the master holding a session: the store reports
// ErrUnavailable (never "signed out") while the replica takes over, then the same
// store, without a restart, loads the same session again within seconds.
func TestClusterFailover(t *testing.T) {
	c := testenv.StartRedisCluster(t)
	s := newStore(t, c.URL(), redisstore.Options{OpTimeout: 500 * time.Millisecond})
	jar := saveNew(t, s, sample("sess-failover", "sid-1", issA, "alice"))
	keys := c.Keys(t, "ssogate:s:*")
	if len(keys) != 1 {
		t.Fatalf("session keys = %q, want one", keys)
	}
	master := c.MasterOf(t, keys[0])
	c.Kill(t, master)

	start := time.Now()
	sawUnavailable := false
	var lastErr error
	back := eventually(30*time.Second, func() bool {
		_, err := s.Load(requestWith(jar))
		lastErr = err
		if errors.Is(err, session.ErrNoSession) {
			t.Fatalf("Load during failover = %v, want ErrUnavailable, never ErrNoSession", err)
		}
		if errors.Is(err, redisstore.ErrUnavailable) {
			sawUnavailable = true
		}
		return err == nil
	})
	if !back {
		t.Fatalf("session did not load again within 30s of stopping master %s: %v (masters now %q)", master, lastErr, c.Masters(t))
	}
	if !sawUnavailable {
		t.Errorf("Load never reported ErrUnavailable while master %s was down", master)
	}
	t.Logf("session loads again %v after its master stopped", time.Since(start).Round(100*time.Millisecond))
	c.WaitHealthy(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping after failover: %v", err)
	}
}
