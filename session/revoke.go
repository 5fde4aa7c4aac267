package session

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrUnavailable means a server-side store or revoker could not be reached in
// time. Unlike ErrNoSession it says nothing about the session: callers answer
// 503 with Retry-After instead of signing the user out.
var ErrUnavailable = errors.New("session: store unavailable")

// ErrRevokerFull means a MemoryRevoker holds its maximum of unexpired entries and
// refused a new one rather than forget an earlier revocation.
var ErrRevokerFull = errors.New("session: revocation list full")

// Revoker remembers logouts that arrive from the IdP while the browser's session
// lives elsewhere (the cookie store): by IdP session ID (front- or back-channel
// logout with sid) or by subject (back-channel logout with only sub). Entries are
// kept until the given time, which should be when every session they could
// concern has expired (now + SESSION_LENGTH).
type Revoker interface {
	// Revoke ends, as of now, every session of IdP session sid; sessions created
	// later are unaffected (the user signed in again). It is remembered until the
	// given time.
	Revoke(ctx context.Context, sid string, until time.Time) error
	// RevokedSince reports whether IdP session sid was revoked at or after
	// issuedAt, that is whether a session created at issuedAt is ended.
	RevokedSince(ctx context.Context, sid string, issuedAt time.Time) (bool, error)
	// RevokeSubject ends, as of now, every session of sub at issuer; sessions
	// created later are unaffected. It is remembered until the given time.
	RevokeSubject(ctx context.Context, issuer, sub string, until time.Time) error
	// SubjectRevokedSince reports whether sub at issuer was revoked at or after
	// issuedAt, that is whether a session created at issuedAt is ended.
	SubjectRevokedSince(ctx context.Context, issuer, sub string, issuedAt time.Time) (bool, error)
}

// OneLookupRevoker is a Revoker that answers both of CheckRevoked's questions in
// one look-up (one Redis round trip instead of two).
type OneLookupRevoker interface {
	Revoker
	// SessionRevokedSince reports whether IdP session sid, or sub at issuer, was
	// revoked at or after issuedAt. An empty sid or sub is not looked up.
	SessionRevokedSince(ctx context.Context, sid, issuer, sub string, issuedAt time.Time) (sidRevoked, subRevoked bool, err error)
}

// sessionEntryPrefix marks the gateway's own session ID standing in for the IdP
// session ID of a session that has none (RevokeSession). The NUL keeps it apart from
// any sid an IdP could send, and a gateway session ID is a secret only its cookie holds.
const sessionEntryPrefix = "\x00gateway-session\x00"

// revocationSID is the sid entry that ends s: its IdP session ID, or for a session
// without one (an IdP that sends no sid) its own ID.
func revocationSID(s *Session) string {
	if s.Identity.SessionID != "" {
		return s.Identity.SessionID
	}
	if s.ID != "" {
		return sessionEntryPrefix + s.ID
	}
	return ""
}

// RevokeSession ends s where a copy of its cookie could still be replayed (the cookie
// store cannot delete a cookie it handed out): its IdP session goes on rv's list, which
// ends every gateway session of it created until now (signing out at the IdP ends
// them too), or for a session without an IdP session ID, the session itself. It is
// remembered until s would have expired anyway. CheckRevoked still needs one look-up.
func RevokeSession(ctx context.Context, rv Revoker, s *Session) error {
	sid := revocationSID(s)
	if sid == "" {
		return errors.New("session: revoke: session has neither an IdP session ID nor an ID")
	}
	if err := rv.Revoke(ctx, sid, s.ExpiresAt); err != nil {
		return fmt.Errorf("session: revoke the signed-out session: %w", err)
	}
	return nil
}

// CheckRevoked asks rv whether s was revoked by its IdP session ID (or, without one,
// its own ID: RevokeSession) or by its subject since s was created. A revoked session
// yields an error wrapping ErrNoSession; a failing revoker's error is returned as is.
func CheckRevoked(ctx context.Context, rv Revoker, s *Session) error {
	sid := revocationSID(s)
	if one, ok := rv.(OneLookupRevoker); ok {
		bySID, bySub, err := one.SessionRevokedSince(ctx, sid, s.Identity.Issuer, s.Identity.Subject, s.CreatedAt)
		switch {
		case err != nil:
			return fmt.Errorf("session: check revocation: %w", err)
		case bySID:
			return fmt.Errorf("%w: session or its IdP session revoked", ErrNoSession)
		case bySub:
			return fmt.Errorf("%w: subject revoked after the session began", ErrNoSession)
		}
		return nil
	}
	if sid != "" {
		revoked, err := rv.RevokedSince(ctx, sid, s.CreatedAt)
		if err != nil {
			return fmt.Errorf("session: check revocation of IdP session: %w", err)
		}
		if revoked {
			return fmt.Errorf("%w: session or its IdP session revoked", ErrNoSession)
		}
	}
	if s.Identity.Subject != "" {
		revoked, err := rv.SubjectRevokedSince(ctx, s.Identity.Issuer, s.Identity.Subject, s.CreatedAt)
		if err != nil {
			return fmt.Errorf("session: check revocation of subject: %w", err)
		}
		if revoked {
			return fmt.Errorf("%w: subject revoked after the session began", ErrNoSession)
		}
	}
	return nil
}

// DefaultRevokerMax is the number of entries a MemoryRevoker holds when its max is
// not positive.
const DefaultRevokerMax = 100_000

// MemoryRevoker is a Revoker for a single gateway process: a bounded map whose
// entries expire. It is safe for concurrent use.
type MemoryRevoker struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	entries map[revocationKey]*revocation
	byUntil revocationHeap // the same entries, soonest expiry first
}

var _ OneLookupRevoker = (*MemoryRevoker)(nil)

// revocation is one remembered logout.
type revocation struct {
	key   revocationKey
	at    time.Time // when it was revoked
	until time.Time // when it is forgotten
	index int       // position in byUntil
}

// NewMemoryRevoker returns an empty MemoryRevoker holding at most max unexpired
// entries (DefaultRevokerMax when max ≤ 0), with clock now (time.Now when nil).
func NewMemoryRevoker(now func() time.Time, max int) *MemoryRevoker {
	if now == nil {
		now = time.Now
	}
	if max <= 0 {
		max = DefaultRevokerMax
	}
	return &MemoryRevoker{now: now, max: max, entries: make(map[revocationKey]*revocation)}
}

// Revoke implements Revoker.
func (m *MemoryRevoker) Revoke(_ context.Context, sid string, until time.Time) error {
	if sid == "" {
		return errors.New("session: revoke: empty IdP session ID")
	}
	return m.add(sidEntry(sid), until)
}

// RevokedSince implements Revoker.
func (m *MemoryRevoker) RevokedSince(_ context.Context, sid string, issuedAt time.Time) (bool, error) {
	at, ok := m.lookup(sidEntry(sid))
	return ok && !issuedAt.After(at), nil
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
	return m.add(subjectEntry(issuer, sub), until)
}

// SubjectRevokedSince implements Revoker.
func (m *MemoryRevoker) SubjectRevokedSince(_ context.Context, issuer, sub string, issuedAt time.Time) (bool, error) {
	at, ok := m.lookup(subjectEntry(issuer, sub))
	return ok && !issuedAt.After(at), nil
}

// Len returns the number of unexpired entries.
func (m *MemoryRevoker) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return len(m.entries)
}

// add records a revocation at now until the given time. Revoking a key again
// moves its revocation time forward and never shortens how long it is kept.
func (m *MemoryRevoker) add(key revocationKey, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if !until.After(now) {
		return nil // nothing it could concern is still alive
	}
	m.expire(now)
	if e, ok := m.entries[key]; ok {
		e.at = now
		if until.After(e.until) {
			e.until = until
			heap.Fix(&m.byUntil, e.index)
		}
		return nil
	}
	if len(m.entries) >= m.max {
		return fmt.Errorf("%w: %d entries", ErrRevokerFull, len(m.entries))
	}
	e := &revocation{key: key, at: now, until: until}
	m.entries[key] = e
	heap.Push(&m.byUntil, e)
	return nil
}

// lookup returns when key was revoked, if it is remembered.
func (m *MemoryRevoker) lookup(key revocationKey) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	e, ok := m.entries[key]
	if !ok {
		return time.Time{}, false
	}
	return e.at, true
}

// expire forgets entries whose time has come. m.mu must be held.
func (m *MemoryRevoker) expire(now time.Time) {
	for len(m.byUntil) > 0 && !m.byUntil[0].until.After(now) {
		e := heap.Pop(&m.byUntil).(*revocation)
		delete(m.entries, e.key)
	}
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

// revocationHeap is a min-heap of revocations by until, for container/heap.
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
