package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnavailable means a server-side store or revoker could not be reached in
// time. Unlike ErrNoSession it says nothing about the session: callers answer
// 503 with Retry-After instead of signing the user out.
var ErrUnavailable = errors.New("session: store unavailable")

// Revoker remembers logouts that arrive while the browser's session lives elsewhere
// (the cookie store): by IdP session ID (front- or back-channel logout with sid), by
// subject (back-channel logout with only sub, or an administrator's "sign this user
// out everywhere"), or by username and email (the administrator's, naming the user
// as people know them). Entries are kept until the given time, which should be when
// every session they could concern has expired (now + SESSION_LENGTH).
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
	// RevokeUser ends, as of now, every session whose username is name (exactly,
	// case-sensitive) or whose email is name (ignoring case: EmailKey), at any
	// issuer; sessions created later are unaffected. It is remembered until the
	// given time.
	RevokeUser(ctx context.Context, name string, until time.Time) error
	// UserRevokedSince reports whether username or email (either may be empty) was
	// revoked by RevokeUser at or after issuedAt.
	UserRevokedSince(ctx context.Context, username, email string, issuedAt time.Time) (bool, error)
	// Issued remembers that the gateway issued a session of IdP session sid living
	// until the given time. Only such sids can be revoked by a front-channel logout,
	// which anyone can send.
	Issued(ctx context.Context, sid string, until time.Time) error
	// IssuedUntil returns when the last session the gateway issued for IdP session
	// sid ends; ok is false for a sid it never issued or whose sessions all ended.
	IssuedUntil(ctx context.Context, sid string) (until time.Time, ok bool, err error)
}

// OneLookupRevoker is a Revoker that answers all of CheckRevoked's questions in one
// look-up (one Redis round trip instead of three).
type OneLookupRevoker interface {
	Revoker
	// SessionRevokedSince reports which of q's entries were revoked at or after
	// q.IssuedAt. Empty fields are not looked up.
	SessionRevokedSince(ctx context.Context, q Lookup) (Revoked, error)
}

// Lookup names the revocation entries that could end one session.
type Lookup struct {
	SID      string // IdP session ID, or the gateway's own (RevokeSession)
	Issuer   string // with Subject
	Subject  string
	Username string // compared exactly
	Email    string // compared ignoring case
	// IssuedAt is when the session began: only revocations at or after it count.
	IssuedAt time.Time
}

// Revoked says which of a Lookup's entries ended the session.
type Revoked struct {
	SID     bool // Revoke
	Subject bool // RevokeSubject
	User    bool // RevokeUser, by username or email
}

// EmailKey is the form in which revocation lists compare emails: lower case, so
// that "Jisoo@Example.com" and "jisoo@example.com" are one user. Usernames are
// compared exactly (IdPs such as Keycloak keep their case on purpose).
func EmailKey(email string) string { return strings.ToLower(email) }

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
// its own ID: RevokeSession), by its subject, or by its username or email since s
// was created. A revoked session yields an error wrapping ErrNoSession; a failing
// revoker's error is returned as is.
func CheckRevoked(ctx context.Context, rv Revoker, s *Session) error {
	q := Lookup{SID: revocationSID(s), Issuer: s.Identity.Issuer, Subject: s.Identity.Subject,
		Username: s.Identity.Username, Email: s.Identity.Email, IssuedAt: s.CreatedAt}
	var got Revoked
	var err error
	if one, ok := rv.(OneLookupRevoker); ok {
		got, err = one.SessionRevokedSince(ctx, q)
	} else {
		got, err = lookupEach(ctx, rv, q)
	}
	switch {
	case err != nil:
		return fmt.Errorf("session: check revocation: %w", err)
	case got.SID:
		return fmt.Errorf("%w: session or its IdP session revoked", ErrNoSession)
	case got.Subject:
		return fmt.Errorf("%w: subject revoked after the session began", ErrNoSession)
	case got.User:
		return fmt.Errorf("%w: user (username or email) revoked after the session began", ErrNoSession)
	}
	return nil
}

// lookupEach answers q with one question per kind of entry, stopping at the first
// revocation or error.
func lookupEach(ctx context.Context, rv Revoker, q Lookup) (Revoked, error) {
	var got Revoked
	var err error
	if q.SID != "" {
		if got.SID, err = rv.RevokedSince(ctx, q.SID, q.IssuedAt); err != nil || got.SID {
			return got, wrapLookup("IdP session", err)
		}
	}
	if q.Subject != "" {
		if got.Subject, err = rv.SubjectRevokedSince(ctx, q.Issuer, q.Subject, q.IssuedAt); err != nil || got.Subject {
			return got, wrapLookup("subject", err)
		}
	}
	if q.Username != "" || q.Email != "" {
		got.User, err = rv.UserRevokedSince(ctx, q.Username, q.Email, q.IssuedAt)
	}
	return got, wrapLookup("user", err)
}

func wrapLookup(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("of %s: %w", what, err)
}
