package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
	"github.com/ssogate/ssogate/session/storetest"
)

// newRevoker returns a RedisRevoker on url reading the time from now (time.Now
// when nil), closed in t.Cleanup.
func newRevoker(t testing.TB, url string, now func() time.Time) *redisstore.RedisRevoker {
	t.Helper()
	rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: url, Now: now})
	if err != nil {
		t.Fatalf("NewRevoker: %v", err)
	}
	t.Cleanup(func() { rv.Close() })
	return rv
}

// TestRevokerConformance runs the revoker suite the memory revoker passes too, so the
// two agree. The revokers share one server, flushed for each.
func TestRevokerConformance(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	storetest.RunRevoker(t, func(t *testing.T, now func() time.Time) session.Revoker {
		flush(t, admin)
		return newRevoker(t, r.URL(), now)
	})
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
	for _, k := range admin.Keys(ctx, "ssogate:{rev}:*").Val() {
		if strings.Contains(k, "sid-") {
			t.Errorf("revocation key %q holds the sid in clear", k)
		}
		if pttl := admin.PTTL(ctx, k).Val(); pttl <= 0 || pttl > time.Hour {
			t.Errorf("PTTL %s = %v, want in (0, 1h]", k, pttl)
		}
	}
	if !eventually(5*time.Second, func() bool { ok, err := rv.RevokedSince(ctx, "sid-short", time.Time{}); return err == nil && !ok }) {
		t.Errorf("sid-short still revoked 5s after its until")
	}
	if ok, err := rv.RevokedSince(ctx, "sid-long", time.Time{}); err != nil || !ok {
		t.Errorf("sid-long after sid-short expired = %v, %v; want revoked", ok, err)
	}
	keys := admin.Keys(ctx, "ssogate:{rev}:*").Val()
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

// TestRedisRevokerReadsKeysBeforeHashTags checks that a revocation written by a
// gateway before the cluster key layout still ends the session after an upgrade.
func TestRedisRevokerReadsKeysBeforeHashTags(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	rv := newRevoker(t, r.URL(), nil)
	ctx := context.Background()
	sum := sha256.Sum256([]byte("sid-old"))
	at := time.Now().Add(-time.Minute)
	admin.Set(ctx, "ssogate:rev:"+hex.EncodeToString(sum[:]), strconv.FormatInt(at.UnixMilli(), 10), time.Hour)
	if got, err := rv.RevokedSince(ctx, "sid-old", at.Add(-time.Second)); err != nil || !got {
		t.Errorf("RevokedSince for a revocation in the old layout = %v, %v; want true, nil", got, err)
	}
	if got, err := rv.RevokedSince(ctx, "sid-old", at.Add(time.Second)); err != nil || got {
		t.Errorf("RevokedSince for a session after it = %v, %v; want false, nil", got, err)
	}
}

// commandLog records the name and arguments of every command a client sends,
// pipelines included.
type commandLog struct {
	mu   sync.Mutex
	cmds [][]any
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		l.mu.Lock()
		l.cmds = append(l.cmds, cmd.Args())
		l.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		l.mu.Lock()
		for _, cmd := range cmds {
			l.cmds = append(l.cmds, cmd.Args())
		}
		l.mu.Unlock()
		return next(ctx, cmds)
	}
}

// take returns the commands sent since the last take, leaving out those that set
// up a new connection (HELLO, CLIENT SETINFO).
func (l *commandLog) take() [][]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]any
	for _, c := range l.cmds {
		if name := strings.ToLower(fmt.Sprint(c[0])); name != "hello" && name != "client" {
			out = append(out, c)
		}
	}
	l.cmds = nil
	return out
}

// TestRevocationCheckIsOneMGET: a request's revocation check asks for the IdP
// session, the subject, the username and the email in one MGET, and a session
// revoked by email (in another case) is refused through it.
func TestRevocationCheckIsOneMGET(t *testing.T) {
	r := testenv.StartRedis(t)
	log := &commandLog{}
	rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: r.URL(), Hook: log})
	if err != nil {
		t.Fatalf("NewRevoker: %v", err)
	}
	t.Cleanup(func() { rv.Close() })
	ctx := context.Background()
	sess := sample("sess-1", "sid-1", "https://idp.example.com", "alice")
	sess.CreatedAt = time.Now().Add(-time.Minute)
	sess.Identity.Username, sess.Identity.Email = "jisoo", "jisoo@example.com"
	log.take()
	if err := session.CheckRevoked(ctx, rv, sess); err != nil {
		t.Fatalf("CheckRevoked before any revocation = %v, want nil", err)
	}
	cmds := log.take()
	if len(cmds) != 1 || !strings.EqualFold(fmt.Sprint(cmds[0][0]), "mget") {
		t.Fatalf("commands of one check = %v, want one MGET", cmds)
	}
	// sid and subject in both layouts (single node), username, email.
	if got, want := len(cmds[0])-1, 6; got != want {
		t.Errorf("MGET of %d keys, want %d: %v", got, want, cmds[0])
	}
	if err := rv.RevokeUser(ctx, "JISOO@Example.com", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	log.take()
	if err := session.CheckRevoked(ctx, rv, sess); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("CheckRevoked after the email was revoked = %v, want ErrNoSession", err)
	}
	if cmds := log.take(); len(cmds) != 1 {
		t.Errorf("commands of the check after a revocation = %v, want one MGET", cmds)
	}
	sess.Identity.Email = "other@example.com"
	if err := session.CheckRevoked(ctx, rv, sess); err != nil {
		t.Errorf("CheckRevoked of another email and username jisoo = %v, want nil (the revocation named an email, and usernames compare exactly)", err)
	}
}
