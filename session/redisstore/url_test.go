package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
	"github.com/ssogate/ssogate/session/storetest"
)

// TestCheckURL pins which Redis URLs the gateway starts with and what it says of the
// others. go-redis takes pool sizes from the URL as they come and panics when it
// builds a pool from a negative or huge one: those are refused up front.
func TestCheckURL(t *testing.T) {
	accepted := []string{
		"redis://127.0.0.1:6379/0",
		"rediss://u:hunter2@redis.example.com:6380/2",
		"unix:///run/redis.sock?db=1",
		"redis://s1:26379/0?master_name=mymaster&addr=s2:26379",
		"redis://node1:6379?cluster=true&addr=node2:6379",
		"rediss://node1:6379/0?cluster=true",
		"redis://127.0.0.1:6379/0?pool_size=50&min_idle_conns=2&max_idle_conns=10&max_active_conns=100",
		"redis://127.0.0.1:6379/0?pipeline_pool_size=-1",
		"redis://127.0.0.1:6379/0?dial_timeout=2s",
	}
	for _, u := range accepted {
		if err := redisstore.CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", u, err)
		}
	}
	refused := []struct{ url, want string }{
		{"redis://u:hunter2@127.0.0.1:6379/0?pool_size=-1", "has pool_size=-1: it must be from 0 to 2147483647 (0: go-redis's default)"},
		{"redis://127.0.0.1:6379/0?pool_size=99999999999", "has pool_size=99999999999"},
		{"redis://127.0.0.1:6379/0?max_active_conns=-5", "has max_active_conns=-5"},
		{"redis://127.0.0.1:6379/0?pipeline_pool_size=-2", "has pipeline_pool_size=-2: it must be from -1 to 2147483647"},
		{"redis://u:hunter2@s1:26379/0?master_name=m&min_idle_conns=99999999999", "has min_idle_conns=99999999999"},
		{"redis://u:hunter2@node1:6379?cluster=true&pool_size=-1", "has pool_size=-1"},
		{"redis://127.0.0.1:6379/-1", "names database -1: a database number is 0 or more"},
		{"redis://u:hunter2@127.0.0.1:6379/x", `redis: invalid database number: "x" (docs/sessions.md lists the URL forms and options)`},
		{"redis://u:hunter2@127.0.0.1:6379/0?foo=bar", "redis: unexpected option: foo"},
		{"redis://127.0.0.1:6379/0?dial_timeout=soon", "invalid dial_timeout duration"},
		{"redis://u:hunter2@node1:6379?cluster=true&addr=nope", "unable to parse addr param: nope"},
		{"redis://node1:6379?cluster=yes", "has cluster=yes: use cluster=true for a Redis Cluster"},
		{"redis://node1:6379/2?cluster=true", "names database 2, but a Redis Cluster has only database 0: drop the path"},
		{"redis://node1:6379?cluster=true&master_name=m", "names both a Redis Cluster (cluster=true) and a Sentinel master (master_name)"},
		{"unix:///run/redis.sock?cluster=true", "a cluster is reached over TCP, use redis:// or rediss://"},
		{"unix:///run/redis.sock?master_name=m", "Sentinel is reached over TCP, use redis:// or rediss://"},
		{"redis://u:hunter2@[::1", "is not a URL"},
	}
	for _, tt := range refused {
		err := redisstore.CheckURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckURL(%q) = %v, want an error containing %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("CheckURL(%q) = %q reveals the password", tt.url, err)
		}
		// What CheckURL refuses, the store and the revoker refuse as an error, never a panic.
		if s, err := redisstore.New(redisstore.Options{URL: tt.url, Codec: testCodec(t)}); err == nil {
			s.Close()
			t.Errorf("New(%q) succeeded, want the error CheckURL gave", tt.url)
		}
		if rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: tt.url}); err == nil {
			rv.Close()
			t.Errorf("NewRevoker(%q) succeeded, want the error CheckURL gave", tt.url)
		}
	}
}

// TestUnixSocket runs the store's and the revoker's conformance suites over a
// Unix socket (unix:///PATH?db=0), one of the forms docs/sessions.md offers, and
// checks that Redis saw the gateway's connections arrive on that socket.
func TestUnixSocket(t *testing.T) {
	r := testenv.StartRedisWithSocket(t)
	admin := adminClient(t, r)
	url := r.SocketURL(t)
	t.Run("store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) session.Store {
			flush(t, admin)
			return newStore(t, url, redisstore.Options{})
		})
	})
	t.Run("revoker", func(t *testing.T) {
		storetest.RunRevoker(t, func(t *testing.T, now func() time.Time) session.Revoker {
			flush(t, admin)
			return newRevoker(t, url, now)
		})
	})
	s := newStore(t, url, redisstore.Options{})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping over the socket: %v", err)
	}
	clients, err := admin.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	socket := strings.TrimSuffix(strings.TrimPrefix(url, "unix://"), "?db=0")
	if !strings.Contains(clients, "laddr="+socket) {
		t.Errorf("no client of Redis came in on %s:\n%s", socket, clients)
	}
}
