package session

import "github.com/ssogate/ssogate/internal/boundcache"

// defaultCacheBytes bounds the memory a CookieStore spends on opened sessions.
const defaultCacheBytes = 4 << 20

// openedCache remembers recently opened session cookies, so a browser's next requests
// skip the decryption and JSON decoding (BenchmarkCookieStoreLoad: 1–2 allocations
// instead of 27–228, several times faster; see bench/README.md). Invariants:
//   - it is keyed by the sealed cookie value: one sealed value always opens to the
//     same session, so a hit is exactly as trustworthy as opening the value again;
//   - expiry is still checked on every request;
//   - a hit is a shallow copy: its slices (Groups, AMR) are shared with the cached
//     session, so callers may replace them but never change their elements.
type openedCache struct {
	c *boundcache.Cache[*Session]
}

func newOpenedCache(maxBytes int) *openedCache {
	return &openedCache{c: boundcache.New[*Session](maxBytes)}
}

// get returns a copy of the session sealed as key, so callers may change it freely.
func (o *openedCache) get(key string) (*Session, bool) {
	s, ok := o.c.Get(key)
	if !ok {
		return nil, false
	}
	cp := *s
	return &cp, true
}

// put remembers s as the session sealed as key. plainLen is the size of its JSON, a
// fair estimate of what the decoded session holds.
func (o *openedCache) put(key string, s *Session, plainLen int) {
	cp := *s
	o.c.Put(key, &cp, plainLen)
}

// forget drops the session sealed as key.
func (o *openedCache) forget(key string) { o.c.Forget(key) }
