package boundcache

import (
	"strings"
	"sync"
	"testing"
)

func TestStaysWithinBudget(t *testing.T) {
	c := New[int](64 << 10)
	for i := range 1000 {
		c.Put(strings.Repeat("k", 500)+strings.Repeat("z", i), i, 300)
		if c.bytes > c.maxBytes {
			t.Fatalf("after %d puts: %d bytes, budget %d", i+1, c.bytes, c.maxBytes)
		}
	}
	if c.Len() == 0 {
		t.Fatal("the cache kept nothing")
	}
	last := strings.Repeat("k", 500) + strings.Repeat("z", 999)
	if v, ok := c.Get(last); !ok || v != 999 {
		t.Errorf("Get of the latest entry = %v, %v; want 999, true", v, ok)
	}
	c.Put("big", 1, 10_000) // more than a sixteenth of the budget
	if _, ok := c.Get("big"); ok {
		t.Error("an entry larger than a sixteenth of the budget was cached")
	}
}

func TestPutReplacesAndForgetDrops(t *testing.T) {
	c := New[string](1 << 20)
	c.Put("a", "first", 10)
	c.Put("a", "second", 20)
	if v, _ := c.Get("a"); v != "second" || c.Len() != 1 || c.bytes != 20+1+entryOverhead {
		t.Errorf("after two puts: %q, %d entries, %d bytes; want second, 1, %d", v, c.Len(), c.bytes, 20+1+entryOverhead)
	}
	c.Forget("a")
	c.Forget("never there")
	if _, ok := c.Get("a"); ok || c.bytes != 0 {
		t.Errorf("after Forget: present %v, %d bytes; want absent, 0", ok, c.bytes)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New[int](16 << 10)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				key := strings.Repeat("x", g+i%50)
				c.Put(key, i, 100)
				c.Get(key)
				if i%7 == 0 {
					c.Forget(key)
				}
			}
		})
	}
	wg.Wait()
	if c.bytes < 0 || c.bytes > c.maxBytes {
		t.Errorf("after concurrent use: %d bytes, budget %d", c.bytes, c.maxBytes)
	}
}
