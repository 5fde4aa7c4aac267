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

// Session is one signed-in browser.
type Session struct {
	ID        string          `json:"id"` // random, the gateway's own
	Identity  claims.Identity `json:"identity"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`

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

// Store loads, saves and deletes the session of a request.
type Store interface {
	// Load returns the request's session, or ErrNoSession.
	Load(r *http.Request) (*Session, error)
	// Save writes s so that later requests from this browser load it.
	Save(w http.ResponseWriter, r *http.Request, s *Session) error
	// Delete ends the request's session, in the browser and in the store.
	Delete(w http.ResponseWriter, r *http.Request) error
}
