package assertion

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/testenv"
)

func newTestCache(t testing.TB, max int) (*Cache, *testenv.Clock) {
	t.Helper()
	clock := newClock()
	return NewCache(newTestSigner(t, jwkOf(t, newTestKeys(t).ec), clock), max), clock
}

func mustGet(t *testing.T, c *Cache, id claims.Identity, sessionID string) string {
	t.Helper()
	token, err := c.Get(id, sessionID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return token
}

func TestCacheReuseAndRefresh(t *testing.T) {
	changed := func(f func(*claims.Identity)) claims.Identity {
		id := testIdentity()
		f(&id)
		return id
	}
	tests := []struct {
		name    string
		advance time.Duration
		id      claims.Identity
		session string
		reuse   bool
	}{
		{"fresh: same token", 3 * time.Minute, testIdentity(), "s1", true},
		{"just before the refresh margin", 4*time.Minute - time.Second, testIdentity(), "s1", true},
		{"under a minute left: new token", 4 * time.Minute, testIdentity(), "s1", false},
		{"expired: new token", 10 * time.Minute, testIdentity(), "s1", false},
		{"role changed: new token", 0, changed(func(id *claims.Identity) { id.Role = claims.RoleViewer }), "s1", false},
		{"group removed: new token", 0, changed(func(id *claims.Identity) { id.Groups = id.Groups[:1] }), "s1", false},
		{"groups regrouped: new token", 0, changed(func(id *claims.Identity) { id.Groups = []string{"ml-teamwandb-admins"} }), "s1", false},
		{"email unverified: new token", 0, changed(func(id *claims.Identity) { id.EmailVerified = false }), "s1", false},
		{"another session: new token", 0, testIdentity(), "s2", false},
		{"issuer is not asserted: same token", 0, changed(func(id *claims.Identity) { id.Issuer = "x" }), "s1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clock := newTestCache(t, 10)
			first := mustGet(t, c, testIdentity(), "s1")
			clock.Advance(tt.advance)
			second := mustGet(t, c, tt.id, tt.session)
			if (first == second) != tt.reuse {
				t.Errorf("second token reused = %v, want %v", first == second, tt.reuse)
			}
			if !tt.reuse {
				if third := mustGet(t, c, tt.id, tt.session); third != second {
					t.Errorf("the new token was not cached: third Get signed again")
				}
			}
		})
	}
}

func TestCacheNewTokenAssertsNewRole(t *testing.T) {
	c, _ := newTestCache(t, 10)
	mustGet(t, c, testIdentity(), "s1")
	id := testIdentity()
	id.Role = claims.RoleViewer
	_, got := verifyWithGoJose(t, c.signer, mustGet(t, c, id, "s1"))
	if got["role"] != claims.RoleViewer {
		t.Errorf("role = %v, want %v", got["role"], claims.RoleViewer)
	}
}

func TestCacheWithoutSessionNeverCaches(t *testing.T) {
	c, clock := newTestCache(t, 10)
	first := mustGet(t, c, testIdentity(), "")
	clock.Advance(time.Second)
	if second := mustGet(t, c, testIdentity(), ""); second == first {
		t.Error("empty session ID: second Get returned the first token, want a fresh signature")
	}
	if n := len(c.entries); n != 0 {
		t.Errorf("cache holds %d entries, want 0", n)
	}
}

func TestCacheBoundedAndForget(t *testing.T) {
	c, _ := newTestCache(t, 3)
	for i := range 10 {
		mustGet(t, c, testIdentity(), fmt.Sprint("s", i))
		if n := len(c.entries); n > 3 {
			t.Fatalf("after %d sessions the cache holds %d entries, want at most 3", i+1, n)
		}
	}
	last := mustGet(t, c, testIdentity(), "s9")
	if _, ok := c.entries["s9"]; !ok {
		t.Fatal("the newest session was evicted")
	}
	c.Forget("s9")
	if again := mustGet(t, c, testIdentity(), "s9"); again == last {
		t.Error("after Forget, Get returned the old token")
	}
}

func TestCacheConcurrent(t *testing.T) {
	c, _ := newTestCache(t, 50)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := testIdentity()
				id.Role = []string{claims.RoleAdmin, claims.RoleMember}[i%2]
				if _, err := c.Get(id, fmt.Sprint("s", (w*7+i)%100)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(c.entries); n > 50 {
		t.Errorf("cache holds %d entries, want at most 50", n)
	}
}

func TestCacheWarmGetDoesNotAllocate(t *testing.T) {
	c, _ := newTestCache(t, 10)
	id := testIdentity()
	mustGet(t, c, id, "s1")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Get(id, "s1"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("warm Get allocates %.0f times, want 0", allocs)
	}
}

func BenchmarkCacheGetWarm(b *testing.B) {
	c, _ := newTestCache(b, 10)
	id := testIdentity()
	if _, err := c.Get(id, "s1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(id, "s1"); err != nil {
			b.Fatal(err)
		}
	}
}
