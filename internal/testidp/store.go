package testidp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Lifetimes and bounds of the provider's in-memory state.
const (
	codeTTL        = 60 * time.Second
	refreshTTL     = 24 * time.Hour
	sessionTTL     = 8 * time.Hour
	maxEntries     = 10000 // per map; beyond it an arbitrary entry is dropped
	sessionCookie  = "testidp_session"
	maxFormBytes   = 64 << 10
	minVerifierLen = 43
)

// grant is what a code, access token or refresh token stands for.
type grant struct {
	username    string
	clientID    string
	scope       string
	sid         string
	authTime    time.Time
	nonce       string // codes only
	redirectURI string // codes only
	challenge   string // codes only: the S256 code_challenge
	expires     time.Time
}

// hasScope reports whether the grant's space-separated scope contains s.
func (g grant) hasScope(s string) bool { return slices.Contains(strings.Fields(g.scope), s) }

// browserSession is the provider's own sign-in, used by prompt=none.
type browserSession struct {
	username string
	sid      string
	authTime time.Time
	expires  time.Time
}

// state is everything the provider remembers; guarded by Provider.mu.
type state struct {
	keys     []signingKey // the last one signs; all are published
	disabled map[string]bool
	codes    map[string]grant
	access   map[string]grant
	refresh  map[string]grant
	sessions map[string]browserSession
}

func newState() state {
	return state{
		disabled: map[string]bool{},
		codes:    map[string]grant{},
		access:   map[string]grant{},
		refresh:  map[string]grant{},
		sessions: map[string]browserSession{},
	}
}

// put stores v under k after dropping expired entries and, when still full, one more.
func put[V any](m map[string]V, k string, v V, now time.Time, expires func(V) time.Time) {
	for key, old := range m {
		if !now.Before(expires(old)) {
			delete(m, key)
		}
	}
	if len(m) >= maxEntries {
		for key := range m {
			delete(m, key)
			break
		}
	}
	m[k] = v
}

func grantExpiry(g grant) time.Time            { return g.expires }
func sessionExpiry(s browserSession) time.Time { return s.expires }

// take removes and returns the grant stored under k in the map chosen by pick, if
// present and unexpired.
func (p *Provider) take(pick func(*state) map[string]grant, k string) (grant, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := pick(&p.st)
	g, ok := m[k]
	delete(m, k)
	if !ok || !p.now().Before(g.expires) {
		return grant{}, false
	}
	return g, true
}

// store saves g under a new random handle in the map chosen by pick and returns the handle.
func (p *Provider) store(pick func(*state) map[string]grant, g grant) string {
	h := rand.Text()
	p.mu.Lock()
	defer p.mu.Unlock()
	put(pick(&p.st), h, g, p.now(), grantExpiry)
	return h
}

func codes(s *state) map[string]grant   { return s.codes }
func access(s *state) map[string]grant  { return s.access }
func refresh(s *state) map[string]grant { return s.refresh }

// startSession records a browser sign-in and sets its cookie.
func (p *Provider) startSession(w http.ResponseWriter, username string) browserSession {
	now := p.now()
	s := browserSession{username: username, sid: rand.Text(), authTime: now, expires: now.Add(sessionTTL)}
	id := rand.Text()
	p.mu.Lock()
	put(p.st.sessions, id, s, now, sessionExpiry)
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: p.cookiePath(),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(p.issuer, "https:"),
	})
	return s
}

// session returns the live browser session named by r's cookie.
func (p *Provider) session(r *http.Request) (browserSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return browserSession{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.st.sessions[c.Value]
	if !ok || !p.now().Before(s.expires) || p.st.disabled[s.username] {
		return browserSession{}, false
	}
	return s, true
}

// endSession forgets r's browser session and clears its cookie.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.mu.Lock()
		delete(p.st.sessions, c.Value)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: p.cookiePath(), MaxAge: -1, HttpOnly: true})
}

func (p *Provider) cookiePath() string {
	if p.base == "" {
		return "/"
	}
	return p.base
}

// s256 is the PKCE S256 transform: base64url (no padding) of the SHA-256 of s.
func s256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// leftHash is the at_hash of tok for RS256 and ES256: the left half of its SHA-256.
func leftHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
