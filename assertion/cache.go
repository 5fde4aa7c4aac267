package assertion

import (
	"encoding/binary"
	"hash/maphash"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/boundcache"
)

// DefaultCacheBytes is the Cache size when NewCache is given no positive size:
// about 7,000 sessions with a handful of groups (an assertion of ~800 bytes), or
// 700 with 200 groups (~11 KB).
const DefaultCacheBytes = 8 << 20

// Cache reuses each session's assertion until shortly before it expires, so a
// busy session costs one signature per TTL rather than one per request. An
// assertion is re-signed when it has less than a fifth of its TTL (at most one
// minute) left, or when anything it asserts about the identity has changed. It is
// safe for concurrent use and holds about maxBytes of assertions, dropping
// arbitrary ones when full: its size follows the assertions' size (the groups),
// not only the number of sessions, and a session that signed out elsewhere or
// went idle leaves its entry only until room is needed.
type Cache struct {
	signer  *Signer
	margin  time.Duration
	seed    maphash.Seed
	entries *boundcache.Cache[cacheEntry] // by session ID
}

type cacheEntry struct {
	fingerprint uint64
	token       string
	refreshAt   time.Time
}

// NewCache returns a cache of s's assertions holding about maxBytes
// (DefaultCacheBytes when maxBytes <= 0).
func NewCache(s *Signer, maxBytes int) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Cache{
		signer:  s,
		margin:  min(time.Minute, s.ttl/5),
		seed:    maphash.MakeSeed(),
		entries: boundcache.New[cacheEntry](maxBytes),
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
	e, ok := c.entries.Get(sessionID)
	if ok && e.fingerprint == fp && now.Before(e.refreshAt) {
		return e.token, nil
	}

	token, expires, err := c.signer.Sign(id, sessionID)
	if err != nil {
		return "", err
	}
	c.entries.Put(sessionID, cacheEntry{fingerprint: fp, token: token, refreshAt: expires.Add(-c.margin)}, len(token))
	return token, nil
}

// Forget drops the session's assertion, for logout.
func (c *Cache) Forget(sessionID string) { c.entries.Forget(sessionID) }

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
