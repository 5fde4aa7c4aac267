package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable means a server-side store or revoker could not be reached in
// time. Unlike ErrNoSession it says nothing about the session: callers answer
// 503 with Retry-After instead of signing the user out.
var ErrUnavailable = errors.New("session: store unavailable")

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
	// Issued remembers that the gateway issued a session of IdP session sid living
	// until the given time. Only such sids can be revoked by a front-channel logout,
	// which anyone can send.
	Issued(ctx context.Context, sid string, until time.Time) error
	// IssuedUntil returns when the last session the gateway issued for IdP session
	// sid ends; ok is false for a sid it never issued or whose sessions all ended.
	IssuedUntil(ctx context.Context, sid string) (until time.Time, ok bool, err error)
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
