package assertion

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/testenv"
)

func newTestCache(t testing.TB, maxBytes int) (*Cache, *testenv.Clock) {
	t.Helper()
	clock := newClock()
	return NewCache(newTestSigner(t, jwkOf(t, newTestKeys(t).ec), clock), maxBytes), clock
}

// entryBytes is the least room an entry with token takes in a Cache (the
// boundcache's overhead per entry, the token and a session ID).
func entryBytes(token string) int { return len(token) + 256 }

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
			c, clock := newTestCache(t, 1<<20)
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
	c, _ := newTestCache(t, 1<<20)
	mustGet(t, c, testIdentity(), "s1")
	id := testIdentity()
	id.Role = claims.RoleViewer
	_, got := verifyWithGoJose(t, c.signer, mustGet(t, c, id, "s1"))
	if got["role"] != claims.RoleViewer {
		t.Errorf("role = %v, want %v", got["role"], claims.RoleViewer)
	}
}

func TestCacheWithoutSessionNeverCaches(t *testing.T) {
	c, clock := newTestCache(t, 1<<20)
	first := mustGet(t, c, testIdentity(), "")
	clock.Advance(time.Second)
	if second := mustGet(t, c, testIdentity(), ""); second == first {
		t.Error("empty session ID: second Get returned the first token, want a fresh signature")
	}
	if n := c.entries.Len(); n != 0 {
		t.Errorf("cache holds %d entries, want 0", n)
	}
}

func TestCacheBoundedByBytesAndForget(t *testing.T) {
	const budget = 32 << 10
	c, _ := newTestCache(t, budget)
	small := mustGet(t, c, testIdentity(), "s0")
	for i := range 100 {
		mustGet(t, c, testIdentity(), fmt.Sprint("s", i))
		if n := c.entries.Len(); n*entryBytes(small) > budget {
			t.Fatalf("after %d sessions the cache holds %d entries of %d bytes, over %d", i+1, n, entryBytes(small), budget)
		}
	}
	smallCount := c.entries.Len()
	last := mustGet(t, c, testIdentity(), "s99")
	if _, ok := c.entries.Get("s99"); !ok {
		t.Fatal("the newest session was evicted")
	}
	c.Forget("s99")
	if again := mustGet(t, c, testIdentity(), "s99"); again == last {
		t.Error("after Forget, Get returned the old token")
	}

	// Identities with many groups have larger assertions: fewer of them fit.
	many := testIdentity()
	for i := range 40 {
		many.Groups = append(many.Groups, fmt.Sprintf("2927a37d-c934-5072-94ed-%012d", i))
	}
	c, _ = newTestCache(t, budget)
	big := mustGet(t, c, many, "b0")
	for i := range 100 {
		mustGet(t, c, many, fmt.Sprint("b", i))
	}
	if n := c.entries.Len(); n*entryBytes(big) > budget || n >= smallCount {
		t.Errorf("with %d-byte assertions the cache holds %d entries (%d with %d-byte ones), want at most %d",
			len(big), n, smallCount, len(small), budget/entryBytes(big))
	}
}

func TestCacheConcurrent(t *testing.T) {
	const budget = 48 << 10
	c, _ := newTestCache(t, budget)
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
	if n := c.entries.Len(); n*entryBytes(mustGet(t, c, testIdentity(), "s1")) > budget {
		t.Errorf("cache holds %d entries, over %d bytes", n, budget)
	}
}

func TestCacheWarmGetDoesNotAllocate(t *testing.T) {
	c, _ := newTestCache(t, 1<<20)
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
	c, _ := newTestCache(b, 1<<20)
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
