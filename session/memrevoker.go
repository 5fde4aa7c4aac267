package session

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultRevokerMax is the number of entries each of a MemoryRevoker's lists holds
// when its max is not positive: about 20 MiB of heap each when full (measured with
// 26-byte IdP session IDs).
const DefaultRevokerMax = 100_000

// MemoryRevoker is a Revoker for a single gateway process: two bounded lists whose
// entries expire, one of revocations (by sid, subject, username and email) and one
// of the IdP sessions the gateway issued.
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

// SessionRevokedSince implements OneLookupRevoker, under one lock.
func (m *MemoryRevoker) SessionRevokedSince(_ context.Context, q Lookup) (Revoked, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revoked.expire(m.now())
	since := func(key revocationKey) bool {
		e, ok := m.revoked.entries[key]
		return ok && !q.IssuedAt.After(e.at)
	}
	var got Revoked
	got.SID = q.SID != "" && since(sidEntry(q.SID))
	got.Subject = q.Subject != "" && since(subjectEntry(q.Issuer, q.Subject))
	got.User = q.Username != "" && since(usernameEntry(q.Username)) || q.Email != "" && since(emailEntry(q.Email))
	return got, nil
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

// RevokeUser implements Revoker: one entry for the username, one for the email.
func (m *MemoryRevoker) RevokeUser(_ context.Context, name string, until time.Time) error {
	if name == "" {
		return errors.New("session: revoke: empty username or email")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.revoked.add(now, usernameEntry(name), until)
	m.revoked.add(now, emailEntry(name), until)
	return nil
}

// UserRevokedSince implements Revoker.
func (m *MemoryRevoker) UserRevokedSince(ctx context.Context, username, email string, issuedAt time.Time) (bool, error) {
	got, err := m.SessionRevokedSince(ctx, Lookup{Username: username, Email: email, IssuedAt: issuedAt})
	return got.User, err
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

// revocationKey names an entry: an IdP session ID, a subject at an issuer, a
// username or an email. Looking one up allocates nothing (but for an email with
// capitals, which EmailKey lowers).
type revocationKey struct {
	kind          entryKind
	issuer, value string // issuer only for entrySubject
}

// entryKind keeps the kinds of entries apart: a sid is never a subject or a name.
type entryKind uint8

const (
	entrySID entryKind = iota
	entrySubject
	entryUsername
	entryEmail
)

func sidEntry(sid string) revocationKey { return revocationKey{kind: entrySID, value: sid} }
func subjectEntry(issuer, sub string) revocationKey {
	return revocationKey{kind: entrySubject, issuer: issuer, value: sub}
}
func usernameEntry(name string) revocationKey { return revocationKey{kind: entryUsername, value: name} }
func emailEntry(email string) revocationKey {
	return revocationKey{kind: entryEmail, value: EmailKey(email)}
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
