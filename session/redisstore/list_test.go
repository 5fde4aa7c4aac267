package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session/redisstore"
)

// TestListAndSignOutUser lists sessions newest first with their user and IdP, pages
// through them, and signs one user out everywhere by username and by email.
func TestListAndSignOutUser(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	users := []string{"alice", "bob", "alice", "jisoo"}
	jars := make([]map[string]string, len(users))
	for i, u := range users {
		sess := sample("sess-"+string(rune('a'+i)), "sid-"+string(rune('a'+i)), issA, "sub-"+u)
		sess.Identity.Username, sess.Identity.Email = u, u+"@Example.com"
		sess.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		sess.ExpiresAt = base.Add(8 * time.Hour)
		jars[i] = saveNew(t, s, sess)
	}
	got, total, err := s.List(ctx, 0, 3)
	if err != nil || total != 4 || len(got) != 3 {
		t.Fatalf("List(0, 3) = %d sessions, total %d, %v; want 3 of 4", len(got), total, err)
	}
	if got[0].Username != "jisoo" || got[1].Username != "alice" || got[2].Username != "bob" {
		t.Errorf("List order = %s, %s, %s; want jisoo, alice, bob (newest first)", got[0].Username, got[1].Username, got[2].Username)
	}
	if got[0].Issuer != issA || got[0].Subject != "sub-jisoo" || !got[0].Created.Equal(base.Add(3*time.Minute)) || got[0].LastSeen.IsZero() {
		t.Errorf("List[0] = %+v; want jisoo's subject, issuer, creation and a last use", got[0])
	}
	if rest, _, err := s.List(ctx, 3, 3); err != nil || len(rest) != 1 || rest[0].Username != "alice" {
		t.Errorf("List(3, 3) = %+v, %v; want alice's first session", rest, err)
	}

	found, n, err := s.SignOutUser(ctx, "alice")
	if err != nil || n != 2 || len(found) != 1 || found[0].Subject != "sub-alice" {
		t.Fatalf("SignOutUser(alice) = %+v, %d, %v; want sub-alice, 2 sessions", found, n, err)
	}
	for i, u := range users {
		if got := loads(t, s, jars[i]); got != (u != "alice") {
			t.Errorf("%s's session %d signed in = %v after alice's sign-out", u, i, got)
		}
	}
	if _, n, err := s.SignOutUser(ctx, "JISOO@example.com"); err != nil || n != 1 {
		t.Errorf("SignOutUser by email = %d, %v; want 1", n, err)
	}
	if left, total, err := s.List(ctx, 0, 10); err != nil || len(left) != 1 || left[0].Username != "bob" || total != 1 {
		t.Errorf("List after the sign-outs = %+v (total %d), %v; want only bob", left, total, err)
	}
}
