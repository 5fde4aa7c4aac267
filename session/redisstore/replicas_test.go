package redisstore_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
)

const (
	issA = "https://idp.example.com"
	issB = "https://other-idp.example.com"
)

// TestDeleteByIndex signs in five browsers and ends sessions by IdP session ID or
// by subject: exactly the matching ones must end, on every replica.
func TestDeleteByIndex(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	browsers := []struct {
		name          string
		sid, iss, sub string
	}{
		{"laptop", "sid-1", issA, "alice"},
		{"phone", "sid-1", issA, "alice"}, // one IdP session, two browsers
		{"desktop", "sid-2", issA, "alice"},
		{"bob", "sid-3", issA, "bob"},
		{"alice elsewhere", "sid-4", issB, "alice"},
		{"no sid", "", issA, "carol"},
	}
	tests := []struct {
		name     string
		del      func(s *redisstore.Store) (int, error)
		wantN    int
		wantLive []string
	}{
		{"by sid", func(s *redisstore.Store) (int, error) { return s.DeleteBySID(context.Background(), "sid-1") },
			2, []string{"desktop", "bob", "alice elsewhere", "no sid"}},
		{"by unknown sid", func(s *redisstore.Store) (int, error) { return s.DeleteBySID(context.Background(), "sid-9") },
			0, []string{"laptop", "phone", "desktop", "bob", "alice elsewhere", "no sid"}},
		{"by subject", func(s *redisstore.Store) (int, error) { return s.DeleteBySubject(context.Background(), issA, "alice") },
			3, []string{"bob", "alice elsewhere", "no sid"}},
		{"by subject at other issuer", func(s *redisstore.Store) (int, error) { return s.DeleteBySubject(context.Background(), issB, "alice") },
			1, []string{"laptop", "phone", "desktop", "bob", "no sid"}},
		{"by subject without sid", func(s *redisstore.Store) (int, error) { return s.DeleteBySubject(context.Background(), issA, "carol") },
			1, []string{"laptop", "phone", "desktop", "bob", "alice elsewhere"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flush(t, admin)
			replicaA := newStore(t, r.URL(), redisstore.Options{})
			replicaB := newStore(t, r.URL(), redisstore.Options{})
			jars := map[string]map[string]string{}
			for i, b := range browsers {
				jars[b.name] = saveNew(t, replicaA, sample("sess-"+b.name, b.sid, b.iss, b.sub))
				if i == 0 {
					// A logged-out session must not count, nor break the index.
					gone := saveNew(t, replicaA, sample("sess-gone", b.sid, b.iss, b.sub))
					if err := replicaA.Delete(httptest.NewRecorder(), requestWith(gone)); err != nil {
						t.Fatalf("Delete: %v", err)
					}
				}
			}
			n, err := tt.del(replicaB)
			if err != nil || n != tt.wantN {
				t.Errorf("delete = %d, %v; want %d, nil", n, err, tt.wantN)
			}
			live := map[string]bool{}
			for _, name := range tt.wantLive {
				live[name] = true
			}
			for _, b := range browsers {
				if got := loads(t, replicaA, jars[b.name]); got != live[b.name] {
					t.Errorf("%s signed in on replica A = %v, want %v", b.name, got, live[b.name])
				}
			}
			if got, err := replicaA.Count(context.Background()); err != nil || got != int64(len(tt.wantLive)) {
				t.Errorf("Count = %d, %v; want %d, nil", got, err, len(tt.wantLive))
			}
		})
	}
}

// TestReplicas runs two stores on one Redis, as two gateway replicas behind a load
// balancer: a browser's requests may reach either.
func TestReplicas(t *testing.T) {
	r := testenv.StartRedis(t)
	a := newStore(t, r.URL(), redisstore.Options{})
	b := newStore(t, r.URL(), redisstore.Options{})
	ctx := context.Background()

	jar := saveNew(t, a, sample("sess-1", "sid-1", issA, "alice"))
	got, err := b.Load(requestWith(jar))
	if err != nil {
		t.Fatalf("replica B Load of A's session: %v", err)
	}
	got.RefreshToken = "rotated-by-b"
	if err := b.Update(ctx, requestWith(jar), got); err != nil {
		t.Fatalf("replica B Update: %v", err)
	}
	if got, err := a.Load(requestWith(jar)); err != nil || got.RefreshToken != "rotated-by-b" {
		t.Errorf("replica A after B's Update: RefreshToken %q, err %v; want %q", got.RefreshToken, err, "rotated-by-b")
	}
	if err := b.Delete(httptest.NewRecorder(), requestWith(jar)); err != nil {
		t.Fatalf("replica B Delete: %v", err)
	}
	// The browser ignored the expired cookie (or it was copied): A must still refuse it.
	if loads(t, a, jar) {
		t.Errorf("replica A loads a session replica B deleted")
	}
}

// TestNoRevival checks that a refresh finishing after a logout does not bring the
// session back, whether it writes through Update or Save.
func TestNoRevival(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	ctx := context.Background()
	tests := []struct {
		name  string
		write func(jar map[string]string, sess *session.Session) error
	}{
		{"Update", func(jar map[string]string, sess *session.Session) error {
			return s.Update(ctx, requestWith(jar), sess)
		}},
		{"Save", func(jar map[string]string, sess *session.Session) error {
			return s.Save(httptest.NewRecorder(), requestWith(jar), sess)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := sample("sess-"+tt.name, "sid-"+tt.name, issA, "alice")
			jar := saveNew(t, s, sess)
			loaded, err := s.Load(requestWith(jar))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if _, err := s.DeleteBySID(ctx, "sid-"+tt.name); err != nil {
				t.Fatalf("DeleteBySID: %v", err)
			}
			loaded.RefreshToken = "refreshed-too-late"
			if err := tt.write(jar, loaded); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("%s after logout = %v, want ErrNoSession", tt.name, err)
			}
			if loads(t, s, jar) {
				t.Errorf("session loads again after a late %s", tt.name)
			}
		})
	}
}

func TestUpdateChecksTicket(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	jarA := saveNew(t, s, sample("sess-a", "sid-a", issA, "alice"))
	saveNew(t, s, sample("sess-b", "sid-b", issA, "bob"))
	tests := []struct {
		name string
		jar  map[string]string
		id   string
	}{
		{"ticket for another session", jarA, "sess-b"},
		{"no ticket", nil, "sess-a"},
		{"tampered ticket", map[string]string{"ssogate": flipChar(jarA["ssogate"], 40)}, "sess-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := sample(tt.id, "sid", issA, "mallory")
			if err := s.Update(context.Background(), requestWith(tt.jar), sess); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("Update = %v, want ErrNoSession", err)
			}
		})
	}
	if got, err := s.Load(requestWith(jarA)); err != nil || got.Identity.Subject != "alice" {
		t.Errorf("session A after refused updates: %v, %v; want alice's, unchanged", got, err)
	}
}

// TestSignInAgainEndsOldSession signs in again from a browser that has a session:
// the old session ends in Redis, not only in the browser.
func TestSignInAgainEndsOldSession(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	oldJar := saveNew(t, s, sample("sess-old", "sid-old", issA, "alice"))
	newJar := saveFrom(t, s, oldJar, sample("sess-new", "sid-new", issA, "alice"))
	if !loads(t, s, newJar) {
		t.Errorf("new session does not load")
	}
	if loads(t, s, oldJar) {
		t.Errorf("old session still loads from a copy of its cookie")
	}
	if n, err := s.Count(context.Background()); err != nil || n != 1 {
		t.Errorf("Count = %d, %v; want 1", n, err)
	}
}

// TestExpiry lets a short session run out: Redis drops it, Load refuses it and
// Count no longer includes it.
func TestExpiry(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	ctx := context.Background()
	long := sample("sess-long", "sid-long", issA, "alice")
	short := sample("sess-short", "sid-short", issA, "bob")
	short.ExpiresAt = time.Now().Add(300 * time.Millisecond)
	longJar, shortJar := saveNew(t, s, long), saveNew(t, s, short)
	if n, err := s.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2", n, err)
	}
	if !eventually(5*time.Second, func() bool { return !loads(t, s, shortJar) }) {
		t.Fatalf("short session still loads 5s after it expired")
	}
	// The active set's expiry is by Redis's clock, written just after the record:
	// it may trail Load's refusal by a round trip.
	if !eventually(time.Second, func() bool { n, err := s.Count(ctx); return err == nil && n == 1 }) {
		n, err := s.Count(ctx)
		t.Errorf("Count a second after expiry = %d, %v; want 1", n, err)
	}
	if !loads(t, s, longJar) {
		t.Errorf("long session no longer loads")
	}
}

// flipChar returns s with the character at i replaced by a different one, so the
// change is real whatever s held there.
func flipChar(s string, i int) string {
	c := byte('x')
	if s[i] == c {
		c = 'y'
	}
	return s[:i] + string(c) + s[i+1:]
}
