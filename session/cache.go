package session

import "github.com/ssogate/ssogate/internal/boundcache"

// defaultCacheBytes bounds the memory a CookieStore spends on opened sessions.
const defaultCacheBytes = 4 << 20

// openedCache remembers recently opened session cookies, so a browser's next requests
// skip the decryption and JSON decoding. It is keyed by the sealed cookie value: one
// sealed value always opens to the same session, so a hit is exactly as trustworthy as
// opening the value again. Expiry is still checked on every request.
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
