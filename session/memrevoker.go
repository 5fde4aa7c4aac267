package session

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultRevokerMax is the number of entries each of a MemoryRevoker's lists holds
// when its max is not positive: about 15 MiB each when full.
const DefaultRevokerMax = 100_000

// MemoryRevoker is a Revoker for a single gateway process: two bounded lists whose
// entries expire, one of revocations and one of the IdP sessions the gateway issued.
// When a list is full the entry that would expire soonest goes first, so a flood
// never makes it refuse an entry. It is safe for concurrent use.
type MemoryRevoker struct {
	now func() time.Time

	mu      sync.Mutex
	revoked expiringSet
	issued  expiringSet
}

var _ OneLookupRevoker = (*MemoryRevoker)(nil)

// NewMemoryRevoker returns an empty MemoryRevoker whose lists hold at most max
// unexpired entries each (DefaultRevokerMax when max ≤ 0), with clock now (time.Now
// when nil).
func NewMemoryRevoker(now func() time.Time, max int) *MemoryRevoker {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = DefaultRevokerMax
	}
	return &MemoryRevoker{now: now, revoked: newExpiringSet(max), issued: newExpiringSet(max)}
}

// Revoke implements Revoker.
func (m *MemoryRevoker) Revoke(_ context.Context, sid string, until time.Time) error {
	if sid == "" {
		return errors.New("session: revoke: empty IdP session ID")
	}
	m.add(&m.revoked, sidEntry(sid), until)
	return nil
}

// RevokedSince implements Revoker.
func (m *MemoryRevoker) RevokedSince(_ context.Context, sid string, issuedAt time.Time) (bool, error) {
	e, ok := m.lookup(&m.revoked, sidEntry(sid))
	return ok && !issuedAt.After(e.at), nil
}

// SessionRevokedSince implements OneLookupRevoker.
func (m *MemoryRevoker) SessionRevokedSince(ctx context.Context, sid, issuer, sub string, issuedAt time.Time) (bySID, bySub bool, err error) {
	if sid != "" {
		bySID, _ = m.RevokedSince(ctx, sid, issuedAt)
	}
	if sub != "" {
		bySub, _ = m.SubjectRevokedSince(ctx, issuer, sub, issuedAt)
	}
	return bySID, bySub, nil
}

// RevokeSubject implements Revoker.
func (m *MemoryRevoker) RevokeSubject(_ context.Context, issuer, sub string, until time.Time) error {
	if sub == "" {
		return errors.New("session: revoke: empty subject")
	}
	m.add(&m.revoked, subjectEntry(issuer, sub), until)
	return nil
}

// SubjectRevokedSince implements Revoker.
func (m *MemoryRevoker) SubjectRevokedSince(_ context.Context, issuer, sub string, issuedAt time.Time) (bool, error) {
	e, ok := m.lookup(&m.revoked, subjectEntry(issuer, sub))
	return ok && !issuedAt.After(e.at), nil
}

// Issued implements Revoker.
func (m *MemoryRevoker) Issued(_ context.Context, sid string, until time.Time) error {
	if sid == "" {
		return errors.New("session: issued: empty IdP session ID")
	}
	m.add(&m.issued, sidEntry(sid), until)
	return nil
}

// IssuedUntil implements Revoker.
func (m *MemoryRevoker) IssuedUntil(_ context.Context, sid string) (time.Time, bool, error) {
	e, ok := m.lookup(&m.issued, sidEntry(sid))
	return e.until, ok, nil
}

// Len returns the number of unexpired revocations.
func (m *MemoryRevoker) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revoked.expire(m.now())
	return len(m.revoked.entries)
}

func (m *MemoryRevoker) add(set *expiringSet, key revocationKey, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	set.add(m.now(), key, until)
}

func (m *MemoryRevoker) lookup(set *expiringSet, key revocationKey) (revocation, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	set.expire(now)
	e, ok := set.entries[key]
	if !ok {
		return revocation{}, false
	}
	return *e, true
}

// expiringSet is a bounded map of entries that expire, with a heap by expiry.
type expiringSet struct {
	max     int
	entries map[revocationKey]*revocation
	byUntil revocationHeap // the same entries, soonest expiry first
}

func newExpiringSet(max int) expiringSet {
	return expiringSet{max: max, entries: make(map[revocationKey]*revocation)}
}

// add records key at now until the given time. Adding a key again moves its time
// forward and never shortens how long it is kept. When the set is full, the entry
// that expires soonest is forgotten to make room.
func (s *expiringSet) add(now time.Time, key revocationKey, until time.Time) {
	if !until.After(now) {
		return // nothing it could concern is still alive
	}
	s.expire(now)
	if e, ok := s.entries[key]; ok {
		e.at = now
		if until.After(e.until) {
			e.until = until
			heap.Fix(&s.byUntil, e.index)
		}
		return
	}
	if len(s.entries) >= s.max {
		e := heap.Pop(&s.byUntil).(*revocation)
		delete(s.entries, e.key)
	}
	e := &revocation{key: key, at: now, until: until}
	s.entries[key] = e
	heap.Push(&s.byUntil, e)
}

// expire forgets entries whose time has come.
func (s *expiringSet) expire(now time.Time) {
	for len(s.byUntil) > 0 && !s.byUntil[0].until.After(now) {
		e := heap.Pop(&s.byUntil).(*revocation)
		delete(s.entries, e.key)
	}
}

// revocation is one remembered entry.
type revocation struct {
	key   revocationKey
	at    time.Time // when it was recorded
	until time.Time // when it is forgotten
	index int       // position in byUntil
}

// revocationKey names an entry: an IdP session ID, or a subject at an issuer.
// Looking one up allocates nothing.
type revocationKey struct {
	subject     bool
	issuer, sub string // sub holds the IdP session ID when !subject
}

func sidEntry(sid string) revocationKey { return revocationKey{sub: sid} }
func subjectEntry(issuer, sub string) revocationKey {
	return revocationKey{subject: true, issuer: issuer, sub: sub}
}

// revocationHeap is a min-heap of entries by until, for container/heap.
type revocationHeap []*revocation

func (h revocationHeap) Len() int           { return len(h) }
func (h revocationHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h revocationHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *revocationHeap) Push(x any) {
	e := x.(*revocation)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *revocationHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
