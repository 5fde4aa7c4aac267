package session

import (
	"errors"
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
