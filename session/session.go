// Package session keeps signed-in sessions: an encrypted, authenticated, chunked cookie
// store, and server-side stores behind the same small interface.
package session

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/claims"
)

// ErrNoSession means the request carries no valid session: absent, tampered,
// truncated, expired, revoked or sealed with another key. Callers treat it as
// "not signed in".
var ErrNoSession = errors.New("session: no valid session")

// ErrCookieRefused marks a session cookie that is there but does not open: altered,
// cut short (a chunk missing), or sealed with another COOKIE_SECRET. It always comes
// with ErrNoSession, unlike an absent, expired or revoked session's error, so the
// caller can say that a cookie was refused and why.
var ErrCookieRefused = errors.New("session cookie refused")

// Session is one signed-in browser.
type Session struct {
	ID        string          `json:"id"` // random, the gateway's own
	Identity  claims.Identity `json:"identity"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
	// LastSeen is when the session was last used, to the minute
	// (SESSION_IDLE_TIMEOUT); zero means CreatedAt.
	LastSeen time.Time `json:"last_seen,omitzero"`

	// Raw tokens are kept only by server-side stores; the cookie store drops them.
	IDToken      string    `json:"id_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	RefreshedAt  time.Time `json:"refreshed_at,omitzero"`
}

// NewID returns a random session ID: 144 bits from crypto/rand, base64url.
func NewID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Listed is one session as the admin listing (GET /oidc/sessions) shows it.
type Listed struct {
	Subject  string    `json:"sub"`
	Username string    `json:"username,omitempty"`
	Email    string    `json:"email,omitempty"`
	Name     string    `json:"name,omitempty"`
	Issuer   string    `json:"iss,omitempty"`
	IdP      string    `json:"idp,omitempty"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
}

// TouchInterval is how often, at most, a store records that a session is still in
// use: the idle timeout is kept to this precision.
const TouchInterval = time.Minute

// Toucher is a Store that must see each used session again to keep it from idling
// out (SESSION_IDLE_TIMEOUT): the cookie store, which re-issues its cookie with a
// new last-seen time at most once per TouchInterval.
type Toucher interface {
	// Touch records that s, just loaded for r, is in use; it may set cookies on w.
	Touch(w http.ResponseWriter, r *http.Request, s *Session) error
}

// IdleSince reports whether s, last seen at s.LastSeen (else its creation), has
// been unused for idle or longer at now. An idle of 0 never idles out.
func IdleSince(s *Session, idle time.Duration, now time.Time) bool {
	if idle <= 0 {
		return false
	}
	seen := s.LastSeen
	if seen.IsZero() {
		seen = s.CreatedAt
	}
	return !now.Before(seen.Add(idle))
}

// Store loads, saves and deletes the session of a request.
type Store interface {
	// Load returns the request's session, or ErrNoSession.
	Load(r *http.Request) (*Session, error)
	// Save writes s so that later requests from this browser load it.
	Save(w http.ResponseWriter, r *http.Request, s *Session) error
	// Delete ends the request's session, in the browser and in the store.
	Delete(w http.ResponseWriter, r *http.Request) error
}
