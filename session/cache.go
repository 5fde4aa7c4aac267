package session

import "sync"

// defaultCacheBytes bounds the memory a CookieStore spends on opened sessions.
const defaultCacheBytes = 4 << 20

// openedCache remembers recently opened session cookies, so a browser's next requests
// skip the decryption and JSON decoding. It is keyed by the sealed cookie value: one
// sealed value always opens to the same session, so a hit is exactly as trustworthy as
// opening the value again. Expiry is still checked on every request. When full, it
// forgets arbitrary entries. It is safe for concurrent use.
type openedCache struct {
	mu       sync.RWMutex
	entries  map[string]openedEntry
	bytes    int
	maxBytes int
}

type openedEntry struct {
	s    *Session
	size int // bytes counted for the entry, key included
}

func newOpenedCache(maxBytes int) *openedCache {
	return &openedCache{entries: make(map[string]openedEntry), maxBytes: maxBytes}
}

// get returns a copy of the session sealed as key, so callers may change it freely.
func (c *openedCache) get(key string) (*Session, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	cp := *e.s
	return &cp, true
}

// put remembers s as the session sealed as key. plainLen is the size of its JSON, a
// fair estimate of what the decoded session holds.
func (c *openedCache) put(key string, s *Session, plainLen int) {
	size := len(key) + plainLen + 256
	if size > c.maxBytes/16 {
		return // a very large session would push out many small ones
	}
	cp := *s
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	for k, old := range c.entries {
		if c.bytes+size <= c.maxBytes {
			break
		}
		c.bytes -= old.size
		delete(c.entries, k)
	}
	c.entries[key] = openedEntry{s: &cp, size: size}
	c.bytes += size
}

// forget drops the session sealed as key.
func (c *openedCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.bytes -= e.size
		delete(c.entries, key)
	}
}
