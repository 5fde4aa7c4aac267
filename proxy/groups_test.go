package proxy

import (
	"fmt"
	"testing"

	"github.com/ssogate/ssogate/internal/testidp"
)

func TestLargeGroupListInACookieSessionIsWorthAWarning(t *testing.T) {
	many := testidp.User{Username: "many", Password: "many", Email: "many@example.com", EmailVerified: true}
	for i := range 200 {
		many.Groups = append(many.Groups, fmt.Sprintf("team-%03d-research-lab", i))
	}
	users := append(testidp.DemoUsers(), many)
	const msg = "this user's groups make the session cookie large; set SESSION_STORE=redis://… to keep sessions server-side"

	f := newFixture(t, fixtureOptions{users: users, cookieSessions: true})
	f.browser().signInAs("alice", "/")
	if n := len(f.logs.records(t, msg)); n != 0 {
		t.Fatalf("alice's two groups gave %d warnings, want none", n)
	}
	f.browser().signInAs("many", "/")
	rec := f.logs.waitFor(t, msg, func(map[string]any) bool { return true })
	if got, _ := rec["groups"].(float64); got != 200 {
		t.Errorf("groups = %v, want 200", rec["groups"])
	}
	if size, _ := rec["groups_bytes"].(float64); size <= 3<<10 {
		t.Errorf("groups_bytes = %v, want over 3 KiB", rec["groups_bytes"])
	}

	// A server-side store carries the same list without a warning.
	f = newFixture(t, fixtureOptions{users: users})
	f.browser().signInAs("many", "/")
	if n := len(f.logs.records(t, msg)); n != 0 {
		t.Fatalf("with a server-side store: %d warnings, want none", n)
	}
}
