package assertion

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

	"github.com/ssogate/ssogate/claims"
)

// DefaultCacheEntries is the Cache size when NewCache is given no positive size.
const DefaultCacheEntries = 10000

// Cache reuses each session's assertion until shortly before it expires, so a
// busy session costs one signature per TTL rather than one per request. An
// assertion is re-signed when it has less than a fifth of its TTL (at most one
// minute) left, or when anything it asserts about the identity has changed. It is
// safe for concurrent use and holds at most maxEntries sessions, dropping an
// arbitrary one when full.
type Cache struct {
	signer *Signer
	max    int
	margin time.Duration
	seed   maphash.Seed

	mu      sync.Mutex
	entries map[string]cacheEntry // by session ID
}

type cacheEntry struct {
	fingerprint uint64
	token       string
	refreshAt   time.Time
}

// NewCache returns a cache of s's assertions holding at most maxEntries sessions
// (DefaultCacheEntries when maxEntries <= 0).
func NewCache(s *Signer, maxEntries int) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	return &Cache{
		signer:  s,
		max:     maxEntries,
		margin:  min(time.Minute, s.ttl/5),
		seed:    maphash.MakeSeed(),
		entries: make(map[string]cacheEntry),
	}
}

// Get returns an assertion of id for the session sessionID, reusing a fresh one.
// An empty sessionID is signed every time and never cached. Two concurrent misses
// for one session may both sign; either token is valid.
func (c *Cache) Get(id claims.Identity, sessionID string) (string, error) {
	if sessionID == "" {
		token, _, err := c.signer.Sign(id, "")
		return token, err
	}
	fp := c.fingerprint(&id)
	now := c.signer.now()
	c.mu.Lock()
	e, ok := c.entries[sessionID]
	c.mu.Unlock()
	if ok && e.fingerprint == fp && now.Before(e.refreshAt) {
		return e.token, nil
	}

	token, expires, err := c.signer.Sign(id, sessionID)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, present := c.entries[sessionID]; !present && len(c.entries) >= c.max {
		for k := range c.entries { // map order is unspecified: an arbitrary victim
			delete(c.entries, k)
			break
		}
	}
	c.entries[sessionID] = cacheEntry{fingerprint: fp, token: token, refreshAt: expires.Add(-c.margin)}
	return token, nil
}

// Forget drops the session's assertion, for logout.
func (c *Cache) Forget(sessionID string) {
	c.mu.Lock()
	delete(c.entries, sessionID)
	c.mu.Unlock()
}

// fingerprint hashes every identity field that goes into the assertion, each
// prefixed with its length so that no two identities run together alike.
func (c *Cache) fingerprint(id *claims.Identity) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, s := range [...]string{id.Subject, id.Email, id.Name, id.Username, id.Role, id.IdP} {
		writeString(&h, s)
	}
	if id.EmailVerified {
		h.WriteByte(1)
	} else {
		h.WriteByte(0)
	}
	writeList(&h, id.Groups)
	writeList(&h, id.AMR)
	return h.Sum64()
}

func writeList(h *maphash.Hash, list []string) {
	writeLen(h, len(list))
	for _, s := range list {
		writeString(h, s)
	}
}

func writeString(h *maphash.Hash, s string) {
	writeLen(h, len(s))
	h.WriteString(s)
}

func writeLen(h *maphash.Hash, n int) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
}
