package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
	"github.com/ssogate/ssogate/session/storetest"
)

// testCodec returns a codec with a fixed secret, shared by every store of a test
// as replicas share COOKIE_SECRET.
func testCodec(t testing.TB) *session.Codec {
	t.Helper()
	secret := make([]byte, session.MinSecretLen)
	for i := range secret {
		secret[i] = byte(i + 1)
	}
	codec, err := session.NewCodec(secret)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return codec
}

// newStore returns a Store on url sealing with testCodec; opts fills other options.
func newStore(t testing.TB, url string, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	opts.URL = url
	if opts.Codec == nil {
		opts.Codec = testCodec(t)
	}
	s, err := redisstore.New(opts)
	if err != nil {
		t.Fatalf("redisstore.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// adminClient returns a plain client for inspecting and flushing the test Redis.
func adminClient(t testing.TB, r *testenv.Redis) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: time.Second, ReadTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// flush empties the test Redis.
func flush(t testing.TB, c *redis.Client) {
	t.Helper()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("FLUSHDB: %v", err)
	}
}

// sample returns storetest.Sample with the given ID, IdP session and subject.
func sample(id, sid, issuer, sub string) *session.Session {
	s := storetest.Sample()
	s.ID = id
	s.Identity.SessionID = sid
	s.Identity.Issuer = issuer
	s.Identity.Subject = sub
	return s
}

// saveNew saves sess from a browser without cookies and returns the browser's jar.
func saveNew(t testing.TB, s session.Store, sess *session.Session) map[string]string {
	t.Helper()
	return saveFrom(t, s, nil, sess)
}

// saveFrom saves sess from a browser holding jar and returns its new jar.
func saveFrom(t testing.TB, s session.Store, jar map[string]string, sess *session.Session) map[string]string {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := s.Save(rec, requestWith(jar), sess); err != nil {
		t.Fatalf("Save %s: %v", sess.ID, err)
	}
	out := map[string]string{}
	for k, v := range jar {
		out[k] = v
	}
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(out, c.Name)
			continue
		}
		out[c.Name] = c.Value
	}
	return out
}

// requestWith builds a request carrying jar's cookies.
func requestWith(jar map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for name, value := range jar {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return r
}

// loads reports whether the browser holding jar is signed in, failing the test
// on anything but success or ErrNoSession.
func loads(t testing.TB, s session.Store, jar map[string]string) bool {
	t.Helper()
	_, err := s.Load(requestWith(jar))
	switch {
	case err == nil:
		return true
	case errors.Is(err, session.ErrNoSession):
		return false
	default:
		t.Fatalf("Load: %v", err)
		return false
	}
}

// eventually checks cond every 10ms until it holds or timeout passes, and reports
// whether it held.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
}
