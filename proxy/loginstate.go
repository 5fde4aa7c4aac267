package proxy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// Login-state cookies: one per login attempt, named after its state, so two tabs
// signing in at once do not overwrite each other. Over https the cookie is
// SameSite=None; Secure, because with form_post the IdP's page POSTs the response
// cross-site and a Lax cookie would not come back. Over plain http (local development)
// SameSite is left unset: browsers then treat it as Lax, which covers the code flow's
// top-level GET, and Chromium still sends it on a cross-site POST within two minutes.
const (
	loginCookiePrefix = "ssogate_login_"
	maxLoginCookies   = 6
)

func (g *Gateway) loginCookieName(state string) string {
	if len(state) > 16 {
		state = state[:16]
	}
	name := loginCookiePrefix + state
	if g.opts.Secure {
		return "__Host-" + name
	}
	return name
}

// saveLoginState seals ls into its own cookie, dropping the oldest surplus login
// cookies so abandoned attempts cannot grow the request headers without bound.
func (g *Gateway) saveLoginState(w http.ResponseWriter, r *http.Request, ls oidcflow.LoginState) error {
	plain, err := json.Marshal(ls)
	if err != nil {
		return fmt.Errorf("encoding login state: %w", err)
	}
	var existing []string
	for _, c := range r.Cookies() {
		if strings.Contains(c.Name, loginCookiePrefix) {
			existing = append(existing, c.Name)
		}
	}
	for i := 0; i+maxLoginCookies <= len(existing); i++ {
		g.expireCookie(w, existing[i])
	}
	c := &http.Cookie{
		Name:     g.loginCookieName(ls.State),
		Value:    g.opts.Codec.Seal(session.PurposeLoginState, plain),
		Path:     "/",
		MaxAge:   int(ls.Expires.Sub(g.opts.Now()).Seconds()) + 1,
		HttpOnly: true,
		Secure:   g.opts.Secure,
	}
	if g.opts.Secure {
		c.SameSite = http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	return nil
}

// takeLoginState opens and deletes the login cookie that belongs to state.
func (g *Gateway) takeLoginState(w http.ResponseWriter, r *http.Request, state string) (oidcflow.LoginState, error) {
	var ls oidcflow.LoginState
	if state == "" {
		return ls, oidcflow.ErrStateMismatch
	}
	name := g.loginCookieName(state)
	c, err := r.Cookie(name)
	if err != nil {
		return ls, oidcflow.ErrStateMismatch
	}
	g.expireCookie(w, name)
	plain, err := g.opts.Codec.Open(session.PurposeLoginState, c.Value)
	if err != nil {
		return ls, fmt.Errorf("%w: %w", oidcflow.ErrStateMismatch, err)
	}
	if err := json.Unmarshal(plain, &ls); err != nil {
		return ls, fmt.Errorf("%w: %w", oidcflow.ErrStateMismatch, err)
	}
	return ls, nil
}

func (g *Gateway) expireCookie(w http.ResponseWriter, name string) {
	c := &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: g.opts.Secure}
	if g.opts.Secure {
		c.SameSite = http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
}

// replayGuard remembers used values (login states, logout-token jtis) until they
// expire, so a captured callback or logout token cannot be played again on this
// replica. It keeps a 64-bit digest of each value and its expiry in Unix seconds
// (about 25 bytes an entry, nothing allocated per entry), since a busy gateway holds
// ten minutes of sign-ins, and at most max of them: when full, new values are refused
// rather than growing the process without bound. Only verified responses reach a
// guard (a state once its ID token verified, a jti once its logout token did), and
// states and jtis have a guard each, so nothing an anonymous client can make up fills
// one. Two values sharing a digest (odds about max/2^64 each) would only refuse the
// second one.
type replayGuard struct {
	now       func() time.Time
	max       int
	mu        sync.Mutex
	seen      map[replayKey]uint32 // expiry, Unix seconds
	nextPrune time.Time
}

// replayGuardMax bounds a replayGuard: about 25 MiB, ten minutes of 1,700 sign-ins a
// second.
const replayGuardMax = 1 << 20

var (
	errReplayed        = errors.New("already used")
	errReplayGuardFull = errors.New("too many sign-ins in progress: the replay guard is full")
)

// replayKey is the first 8 bytes of a state's SHA-256.
type replayKey uint64

func replayKeyOf(state string) replayKey {
	sum := sha256.Sum256([]byte(state))
	return replayKey(binary.BigEndian.Uint64(sum[:8]))
}

// unixSeconds is t in Unix seconds, rounded up, as the guard stores expiries.
func unixSeconds(t time.Time) uint32 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return uint32(min(max(s, 0), math.MaxUint32))
}

func newReplayGuard(now func() time.Time, max int) *replayGuard {
	return &replayGuard{now: now, max: max, seen: make(map[replayKey]uint32)}
}

// consume records state until the given time. It returns errReplayed when state
// was recorded before, and errReplayGuardFull when max states are remembered.
func (rg *replayGuard) consume(state string, until time.Time) error {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	now := rg.now()
	// Pruning scans everything, so it runs at most once a minute however many
	// callbacks arrive.
	if now.After(rg.nextPrune) {
		rg.prune(now)
	}
	key := replayKeyOf(state)
	if exp, ok := rg.seen[key]; ok && unixSeconds(now) <= exp {
		return errReplayed
	}
	if len(rg.seen) >= rg.max {
		return errReplayGuardFull
	}
	rg.seen[key] = unixSeconds(until)
	return nil
}

// prune forgets expired states. rg.mu must be held.
func (rg *replayGuard) prune(now time.Time) {
	for k, exp := range rg.seen {
		if unixSeconds(now) > exp {
			delete(rg.seen, k)
		}
	}
	rg.nextPrune = now.Add(time.Minute)
}
