// Package redisstore is the server-side session.Store (SESSION_STORE=redis://…):
// the browser holds a small opaque ticket, and the session, raw tokens included,
// lives in Redis or Valkey, where every replica sees it and logout by IdP session
// ID or subject ends it everywhere.
//
// The ticket cookie, sealed by the session.Codec, carries the session ID and a
// random 32-byte key of its own. The Redis record ssogate:s:{<sha256(id)>} is the
// session's JSON sealed with that key (XChaCha20-Poly1305), expiring with the
// session, so a dump of Redis alone reveals no identity and no token. The sets
// ssogate:sid:{<sha256(sid)>} and ssogate:sub:{<sha256(issuer, sub)>} index the
// records for DeleteBySID and DeleteBySubject. The braces are Redis Cluster hash
// tags: every script touches one slot, so the store runs on a cluster too.
//
// A Redis that cannot be reached within Options.OpTimeout yields errors wrapping
// ErrUnavailable, never session.ErrNoSession: an outage is not a sign-out.
package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/internal/boundcache"
	"github.com/ssogate/ssogate/session"
)

// Options configures a Store.
type Options struct {
	// URL names the Redis or Valkey server (see New). Required.
	URL string
	// Codec seals the ticket cookie. Required.
	Codec *session.Codec
	// Secure is set when the gateway is reached over HTTPS: the cookie gets the
	// Secure attribute and the "__Host-" name prefix.
	Secure bool
	// CookieName is the cookie name before any prefix; session.DefaultCookieName
	// when empty.
	CookieName string
	// SessionLength caps a session's lifetime and is the lifetime of one saved
	// without ExpiresAt; session.DefaultMaxAge when zero.
	SessionLength time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OpTimeout bounds each Redis operation; DefaultOpTimeout when zero.
	OpTimeout time.Duration
	// Hook, when set, observes every command and connection (metrics).
	Hook redis.Hook
	// IdleTimeout ends a session unused this long (SESSION_IDLE_TIMEOUT): its
	// record's expiry slides on use. 0: only SessionLength counts.
	IdleTimeout time.Duration
	// TouchInterval is how often, at most, a session's last use is written (and
	// its expiry slid); session.TouchInterval when zero.
	TouchInterval time.Duration
}

// Store is a session.Store keeping sessions in Redis. It is safe for concurrent
// use; Close releases its connections.
type Store struct {
	client     redis.UniversalClient
	codec      *session.Codec
	secure     bool
	name       string
	length     time.Duration
	now        func() time.Time
	opTimeout  time.Duration
	idle       time.Duration
	touchEvery time.Duration
	opened     *boundcache.Cache[opened]
}

var _ session.Store = (*Store)(nil)

// openedCacheBytes bounds the memory a Store spends on recently opened sessions.
const openedCacheBytes = 4 << 20

// opened is a recently opened ticket cookie: its ticket, and its record as Redis
// last returned it with the session that record opened to. A request whose record
// is still byte for byte the same skips the decryption and JSON decoding; Redis is
// asked on every request all the same, so a session ended on another replica ends
// here at once.
type opened struct {
	t       ticket
	sealed  []byte
	s       *session.Session
	touched time.Time // when this replica last recorded the session's use
}

// New returns a Store for opts. It does not contact Redis: an unreachable server
// shows in Ping and in each operation's ErrUnavailable. URL forms:
//
//	redis://[user:password@]host:6379/0
//	rediss://…                                    (TLS)
//	unix:///run/redis.sock?db=0
//	redis://sentinel1:26379/0?master_name=mymaster&addr=sentinel2:26379
//	redis://node1:6379?cluster=true&addr=node2:6379  (Redis Cluster; rediss:// for TLS)
func New(opts Options) (*Store, error) {
	if opts.Codec == nil {
		return nil, errors.New("redisstore: Options.Codec is required")
	}
	s := &Store{
		codec:      opts.Codec,
		secure:     opts.Secure,
		length:     opts.SessionLength,
		now:        opts.Now,
		opTimeout:  opts.OpTimeout,
		idle:       opts.IdleTimeout,
		touchEvery: opts.TouchInterval,
		opened:     boundcache.New[opened](openedCacheBytes),
	}
	if s.touchEvery <= 0 {
		s.touchEvery = session.TouchInterval
	}
	if s.length <= 0 {
		s.length = session.DefaultMaxAge
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.opTimeout <= 0 {
		s.opTimeout = DefaultOpTimeout
	}
	s.name = strings.TrimPrefix(opts.CookieName, "__Host-")
	if s.name == "" {
		s.name = session.DefaultCookieName
	}
	if s.secure {
		s.name = "__Host-" + s.name
	}
	client, err := newClient(opts.URL, s.opTimeout)
	if err != nil {
		return nil, err
	}
	if opts.Hook != nil {
		client.AddHook(opts.Hook)
	}
	s.client = client
	return s, nil
}

// Close closes the connections to Redis.
func (s *Store) Close() error { return s.client.Close() }

// CookieName returns the ticket cookie's name, with its "__Host-" prefix when Secure.
func (s *Store) CookieName() string { return s.name }

// Ping checks that Redis answers, for /readyz. Its error wraps ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	return ping(ctx, s.client)
}

// Load returns the request's session. A missing, tampered or foreign ticket, and a
// record that was deleted, revoked or has expired, yield errors wrapping
// session.ErrNoSession; a Redis failure yields one wrapping ErrUnavailable.
func (s *Store) Load(r *http.Request) (*session.Session, error) {
	c, err := r.Cookie(s.name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", session.ErrNoSession, errNoTicket)
	}
	prev, hit := s.opened.Get(c.Value)
	t := prev.t
	if !hit {
		if t, err = openTicket(s.codec, c.Value); err != nil {
			return nil, err
		}
	}
	sealed, err := s.get(r.Context(), t)
	if err != nil {
		s.opened.Forget(c.Value)
		return nil, err
	}
	var sess *session.Session
	entry := prev
	if hit && bytes.Equal(sealed, prev.sealed) {
		cp := *prev.s
		sess = &cp
	} else {
		if sess, err = s.open(t, sealed); err != nil {
			return nil, err
		}
		cp := *sess
		entry = opened{t: t, sealed: sealed, s: &cp}
	}
	now := s.now()
	if !sess.ExpiresAt.After(now) {
		s.opened.Forget(c.Value)
		return nil, fmt.Errorf("%w: session expired at %s", session.ErrNoSession, sess.ExpiresAt.Format(time.RFC3339))
	}
	if now.Sub(entry.touched) >= s.touchEvery {
		s.touch(r.Context(), t, sess, now)
		entry.touched = now
		hit = false
	}
	if !hit || !bytes.Equal(sealed, prev.sealed) {
		s.opened.Put(c.Value, entry, 2*len(sealed))
	}
	return sess, nil
}

// load reads and opens t's record.
func (s *Store) load(ctx context.Context, t ticket) (*session.Session, error) {
	sealed, err := s.get(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.open(t, sealed)
}

// get reads t's sealed record.
func (s *Store) get(ctx context.Context, t ticket) ([]byte, error) {
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	sealed, err := s.client.Get(ctx, recordKey(t.member())).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w: session ended or expired", session.ErrNoSession)
	}
	if err != nil {
		reloadOnError(s.client, err)
		return nil, unavailable("load session", err)
	}
	return sealed, nil
}

// open opens t's sealed record.
func (s *Store) open(t ticket, sealed []byte) (*session.Session, error) {
	plain, err := t.openRecord(sealed)
	if err != nil {
		return nil, err
	}
	sess := new(session.Session)
	if err := json.Unmarshal(plain, sess); err != nil {
		return nil, fmt.Errorf("%w: decode session: %w", session.ErrNoSession, err)
	}
	if sess.ID != t.id {
		return nil, fmt.Errorf("%w: record is for another session", session.ErrNoSession)
	}
	return sess, nil
}

// ticket reads and opens the request's ticket cookie.
func (s *Store) ticket(r *http.Request) (ticket, error) {
	c, err := r.Cookie(s.name)
	if err != nil {
		return ticket{}, fmt.Errorf("%w: %w", session.ErrNoSession, errNoTicket)
	}
	return openTicket(s.codec, c.Value)
}
