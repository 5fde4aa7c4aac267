package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie store defaults.
const (
	DefaultCookieName = "ssogate"
	DefaultMaxAge     = 720 * time.Hour // SESSION_LENGTH's default
	hostPrefix        = "__Host-"
)

// errNoCookie is the cause reported when the request carries no session cookie.
var errNoCookie = fmt.Errorf("%w: no session cookie", ErrNoSession)

// CookieOptions configures a CookieStore.
type CookieOptions struct {
	// Codec seals the cookie. Required.
	Codec *Codec
	// Secure is set when the gateway is reached over HTTPS: cookies get the
	// Secure attribute and the "__Host-" name prefix.
	Secure bool
	// Name is the cookie name before any prefix; DefaultCookieName when empty.
	Name string
	// MaxAge bounds the cookie's lifetime and is the lifetime of a session saved
	// without ExpiresAt; DefaultMaxAge when zero.
	MaxAge time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// IdleTimeout ends a session unused this long (SESSION_IDLE_TIMEOUT); 0: never.
	IdleTimeout time.Duration
}

// CookieStore is a stateless Store: the session's identity and expiry, sealed by
// a Codec, live in the browser's cookies. Raw tokens are never written. A sealed
// value longer than one cookie holds is split across chunk cookies (see
// splitChunks). A CookieStore is immutable and safe for concurrent use.
type CookieStore struct {
	codec      *Codec
	secure     bool
	name       string
	hintName   string // the logout-hint cookie (logouthint.go)
	chunkNames [maxChunks]string
	maxAge     time.Duration
	idle       time.Duration
	now        func() time.Time
	opened     *openedCache
}

var (
	_ Store   = (*CookieStore)(nil)
	_ Toucher = (*CookieStore)(nil)
)

// NewCookieStore returns a CookieStore configured by opts.
func NewCookieStore(opts CookieOptions) *CookieStore {
	name := strings.TrimPrefix(opts.Name, hostPrefix)
	if name == "" {
		name = DefaultCookieName
	}
	if opts.Secure {
		name = hostPrefix + name
	}
	s := &CookieStore{
		codec:    opts.Codec,
		secure:   opts.Secure,
		name:     name,
		hintName: logoutHintName(name, opts.Secure),
		maxAge:   opts.MaxAge,
		idle:     opts.IdleTimeout,
		now:      opts.Now,
		opened:   newOpenedCache(defaultCacheBytes),
	}
	if s.maxAge <= 0 {
		s.maxAge = DefaultMaxAge
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range s.chunkNames {
		s.chunkNames[i] = chunkName(name, i)
	}
	return s
}

// CookieName returns the session cookie's name, with its "__Host-" prefix when
// Secure. Chunk cookies are named CookieName()+"_0", "_1", ….
func (s *CookieStore) CookieName() string { return s.name }

// hasCookie reports whether the request carries a cookie called name.
func hasCookie(h http.Header, name string) bool {
	_, ok := cookieValue(h, name)
	return ok
}

// Load returns the request's session. Its IDToken is set only on /logout, from the
// logout-hint cookie. Any problem (absent, malformed, tampered,
// missing chunk, foreign key, expired) is an error wrapping ErrNoSession whose
// text names the cause.
func (s *CookieStore) Load(r *http.Request) (*Session, error) {
	if s.codec == nil {
		return nil, fmt.Errorf("%w: cookie store has no codec", ErrNoSession)
	}
	var parts [maxChunks]string
	n, err := s.readChunks(r.Header, &parts)
	if err != nil {
		return nil, err
	}
	key := parts[0]
	if n > 1 {
		key = strings.Join(parts[:n], ".")
	}
	sess, ok := s.opened.get(key)
	if !ok {
		if sess, err = s.open(parts[:n], key); err != nil {
			return nil, err
		}
	}
	now := s.now()
	if !sess.ExpiresAt.After(now) {
		s.opened.forget(key)
		return nil, fmt.Errorf("%w: session expired at %s", ErrNoSession, sess.ExpiresAt.Format(time.RFC3339))
	}
	if IdleSince(sess, s.idle, now) {
		s.opened.forget(key)
		return nil, fmt.Errorf("%w: session idle since %s (SESSION_IDLE_TIMEOUT %s)", ErrNoSession, sess.LastSeen.Format(time.RFC3339), s.idle)
	}
	sess.IDToken = s.openLogoutHint(r.Header, sess.ID) // sent to /logout only
	return sess, nil
}

// open decrypts and decodes a session cookie's chunks and remembers the result.
func (s *CookieStore) open(parts []string, key string) (*Session, error) {
	raw, err := s.codec.decode(parts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrNoSession, ErrCookieRefused, err)
	}
	plain, err := s.codec.openRaw(PurposeSession, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: %w", ErrNoSession, ErrCookieRefused, err)
	}
	sess := new(Session)
	if err := json.Unmarshal(plain, sess); err != nil {
		return nil, fmt.Errorf("%w: %w: decode session: %w", ErrNoSession, ErrCookieRefused, err)
	}
	s.opened.put(key, sess, len(plain))
	return sess, nil
}

// Save seals sess (without its raw tokens) into the response's cookies and
// expires chunk cookies left over from a previous, larger session. A session
// whose ExpiresAt has passed is refused; a zero ExpiresAt means MaxAge from now.
func (s *CookieStore) Save(w http.ResponseWriter, r *http.Request, sess *Session) error {
	if s.codec == nil {
		return errors.New("session: cookie store has no codec")
	}
	var h http.Header
	if r != nil {
		h = r.Header
	}
	now := s.now()
	stored := *sess
	stored.IDToken, stored.RefreshToken = "", ""
	if stored.ExpiresAt.IsZero() {
		stored.ExpiresAt = now.Add(s.maxAge)
	}
	if s.idle > 0 && stored.LastSeen.IsZero() {
		stored.LastSeen = now.Truncate(TouchInterval)
	}
	ttl := min(stored.ExpiresAt.Sub(now), s.maxAge)
	if ttl <= 0 {
		return fmt.Errorf("session: save session %q: already expired at %s", sess.ID, stored.ExpiresAt.Format(time.RFC3339))
	}
	plain, err := json.Marshal(&stored)
	if err != nil {
		return fmt.Errorf("session: encode session: %w", err)
	}
	chunks, err := splitChunks(s.codec.Seal(PurposeSession, plain))
	if err != nil {
		return fmt.Errorf("session: save session %q: %w", sess.ID, err)
	}
	maxAge := int((ttl + time.Second - 1) / time.Second)

	var cookies []*http.Cookie
	if hint := s.sealLogoutHint(sess, maxAge); hint != nil {
		cookies = append(cookies, hint)
	}
	if len(chunks) == 1 {
		cookies = append(cookies, s.cookie(s.name, chunks[0], maxAge))
	} else {
		for i, c := range chunks {
			cookies = append(cookies, s.cookie(s.chunkNames[i], c, maxAge))
		}
		if _, ok := cookieValue(h, s.name); ok {
			cookies = append(cookies, s.cookie(s.name, "", -1))
		}
	}
	for _, i := range presentChunks(h, s.name) {
		if len(chunks) == 1 || i >= len(chunks) {
			cookies = append(cookies, s.cookie(chunkName(s.name, i), "", -1))
		}
	}
	for _, c := range cookies {
		if err := c.Valid(); err != nil {
			return fmt.Errorf("session: invalid session cookie %q: %w", c.Name, err)
		}
	}
	for _, c := range cookies {
		http.SetCookie(w, c)
	}
	return nil
}

// Touch re-issues the session's cookie with a new last-seen time when the idle
// timeout is on and the cookie's is a TouchInterval old or more; otherwise it
// does nothing. The re-issued cookie carries the same session (ID, identity,
// creation, expiry); a copy of the old cookie idles out on its own.
func (s *CookieStore) Touch(w http.ResponseWriter, r *http.Request, sess *Session) error {
	if s.idle <= 0 {
		return nil
	}
	now := s.now()
	seen := sess.LastSeen
	if seen.IsZero() {
		seen = sess.CreatedAt
	}
	if now.Sub(seen) < TouchInterval {
		return nil
	}
	cp := *sess
	cp.IDToken = "" // the logout-hint cookie stays as it is
	cp.LastSeen = now.Truncate(TouchInterval)
	return s.Save(w, r, &cp)
}

// Delete expires the session cookie, every chunk cookie the request carries and the
// logout-hint cookie. A copy of the cookie kept elsewhere stays valid until its
// ExpiresAt unless the session also goes on a revocation list (RevokeSession): a
// stateless store cannot revoke by itself.
func (s *CookieStore) Delete(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, s.cookie(s.name, "", -1))
	if r == nil || hasCookie(r.Header, s.hintName) {
		http.SetCookie(w, s.logoutHintCookie("", -1))
	}
	if r == nil {
		return nil
	}
	ExpireChunks(w, r, s.name, s.secure)
	return nil
}

// cookie builds a session cookie with the store's attributes.
func (s *CookieStore) cookie(name, value string, maxAge int) *http.Cookie {
	return NewCookie(name, value, maxAge, s.secure)
}

// NewCookie builds a session cookie with the attributes every store gives it:
// Path=/, HttpOnly, SameSite=Lax, Secure when secure, and no Domain, as the
// "__Host-" prefix requires.
func NewCookie(name, value string, maxAge int, secure bool) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// ExpireChunks expires the chunk cookies (name_0, name_1, …) that r carries, as
// a cookie store named name leaves them; a nil r has none.
func ExpireChunks(w http.ResponseWriter, r *http.Request, name string, secure bool) {
	if r == nil {
		return
	}
	for _, i := range presentChunks(r.Header, name) {
		http.SetCookie(w, NewCookie(chunkName(name, i), "", -1, secure))
	}
}

// readChunks finds the sealed value's parts on the request: the single cookie
// when present, else the chunk cookies. It returns how many parts it stored.
func (s *CookieStore) readChunks(h http.Header, parts *[maxChunks]string) (int, error) {
	if v, ok := cookieValue(h, s.name); ok {
		parts[0] = v
		return 1, nil
	}
	first, ok := cookieValue(h, s.chunkNames[0])
	if !ok {
		return 0, errNoCookie
	}
	n, rest, err := parseChunkCount(first)
	if err != nil {
		return 0, fmt.Errorf("%w: %w: cookie %s: %w", ErrNoSession, ErrCookieRefused, s.chunkNames[0], err)
	}
	parts[0] = rest
	for i := 1; i < n; i++ {
		v, ok := cookieValue(h, s.chunkNames[i])
		if !ok {
			return 0, fmt.Errorf("%w: %w: chunk cookie %s of %d is missing", ErrNoSession, ErrCookieRefused, s.chunkNames[i], n)
		}
		parts[i] = v
	}
	return n, nil
}

// chunkName is the name of chunk i of the cookie named base.
func chunkName(base string, i int) string {
	return base + "_" + strconv.Itoa(i)
}
