package session

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestOpenedSessionIsRemembered: the second load of a cookie comes from the cache, as
// a copy the caller may change, and expiry is still enforced on a cached session.
func TestOpenedSessionIsRemembered(t *testing.T) {
	now := t0
	s := NewCookieStore(CookieOptions{Codec: newTestCodec(t, 1), Now: func() time.Time { return now }})
	_, jar := saveTo(t, s, nil, testSession(2))

	first, err := s.Load(requestWith(jar))
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	if _, ok := s.opened.get(jar["ssogate"]); !ok {
		t.Fatal("an opened session was not remembered")
	}
	first.Identity.Username = "changed by the caller"
	second, err := s.Load(requestWith(jar))
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if second.Identity.Username == "changed by the caller" {
		t.Error("a caller's change to a loaded session reached the cache")
	}

	now = second.ExpiresAt
	if _, err := s.Load(requestWith(jar)); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Load of a cached session past its expiry: got %v, want ErrNoSession", err)
	}
	if _, ok := s.opened.get(jar["ssogate"]); ok {
		t.Error("an expired session stayed in the cache")
	}
}

func TestOpenedCacheStaysWithinBudget(t *testing.T) {
	c := newOpenedCache(64 << 10)
	sess := &Session{ID: "x"}
	for i := range 1000 {
		c.put(strings.Repeat("k", 500)+string(rune('a'+i%26))+strings.Repeat("z", i), sess, 300)
		if c.bytes > c.maxBytes {
			t.Fatalf("after %d puts: %d bytes, budget %d", i+1, c.bytes, c.maxBytes)
		}
	}
	if len(c.entries) == 0 {
		t.Fatal("the cache kept nothing")
	}
	c.put(strings.Repeat("big", 2000), sess, 10_000) // more than a sixteenth of the budget
	if _, ok := c.get(strings.Repeat("big", 2000)); ok {
		t.Error("an entry larger than a sixteenth of the budget was cached")
	}
}
