// Package boundcache is a concurrent map bounded by the bytes its entries are
// estimated to hold, for the gateway's caches (opened sessions, identity headers,
// assertions).
package boundcache

import "sync"

// entryOverhead is added to each entry's given size: the map slot, the key's
// header and the value's bookkeeping.
const entryOverhead = 256

// Cache maps strings to values of type V. When full, it forgets arbitrary entries
// (Go's map order) to make room: no bookkeeping on reads, which are the hot path. It
// is safe for concurrent use.
type Cache[V any] struct {
	mu       sync.RWMutex
	entries  map[string]entry[V]
	bytes    int
	maxBytes int
}

type entry[V any] struct {
	v    V
	size int
}

// New returns an empty Cache holding about maxBytes.
func New[V any](maxBytes int) *Cache[V] {
	return &Cache[V]{entries: make(map[string]entry[V]), maxBytes: maxBytes}
}

// Get returns the value stored under key.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	return e.v, ok
}

// Put stores v under key, replacing any value there. size estimates the bytes v
// holds; a value larger than a sixteenth of the cache is not stored, since it
// would push out many small ones.
func (c *Cache[V]) Put(key string, v V, size int) {
	size += len(key) + entryOverhead
	if size > c.maxBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.bytes -= old.size
		delete(c.entries, key)
	}
	for k, old := range c.entries {
		if c.bytes+size <= c.maxBytes {
			break
		}
		c.bytes -= old.size
		delete(c.entries, k)
	}
	c.entries[key] = entry[V]{v: v, size: size}
	c.bytes += size
}

// Forget drops the value stored under key.
func (c *Cache[V]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.bytes -= e.size
		delete(c.entries, key)
	}
}

// Len returns the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
