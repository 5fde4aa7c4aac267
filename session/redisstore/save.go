package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/session"
)

// Each script below touches the keys of one hash tag only (ticket.go), so it runs
// on a Redis Cluster as on a single node. Saving and deleting a session therefore
// take a few steps: the record in its own slot, then its index sets and the
// active set in theirs.

// saveScript writes a sealed record and what the admin listing shows of it.
//
//	KEYS[1] record, KEYS[2] meta; ARGV[1] sealed record, ARGV[2] TTL in ms,
//	ARGV[3] "1" to write only over an existing record (an update must not revive
//	a deleted session), ARGV[4] sealed summary, ARGV[5] created and ARGV[6] last
//	seen (Unix ms)
//
// It returns 0 when ARGV[3] is "1" and the record is gone, else 1.
var saveScript = redis.NewScript(`
if ARGV[3] == "1" and redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
redis.call("HSET", KEYS[2], "info", ARGV[4], "created", ARGV[5], "seen", ARGV[6])
redis.call("PEXPIRE", KEYS[2], ARGV[2])
return 1
`)

// indexAddSrc adds a member to an index set, which lives as long as its
// longest-lived member.
//
//	KEYS[1] index set; ARGV[1] member, ARGV[2] TTL in ms
const indexAddSrc = `
redis.call("SADD", KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call("PTTL", KEYS[1]) < ttl then
  redis.call("PEXPIRE", KEYS[1], ttl)
end
return 1
`

// activeAddSrc records a member's expiry in the active set, dropping expired
// members, by Redis's clock.
//
//	KEYS[1] active set; ARGV[1] member, ARGV[2] TTL in ms
const activeAddSrc = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
redis.call("ZADD", KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
`

// Save writes sess to Redis and the ticket cookie to the response. When the
// request's ticket is for the same session ID, the session is updated in place
// under the same key (a refresh): if it was deleted or revoked meanwhile, Save
// fails with session.ErrNoSession instead of reviving it. Otherwise Save starts a
// new session with a fresh key and deletes the one the request's ticket named.
// A session whose ExpiresAt has passed is refused; a zero ExpiresAt means
// SessionLength from now.
func (s *Store) Save(w http.ResponseWriter, r *http.Request, sess *session.Session) error {
	ctx := context.Background()
	var old ticket
	var hasOld bool
	if r != nil {
		ctx = r.Context()
		old, hasOld = s.requestTicket(r)
	}
	update := hasOld && old.id == sess.ID
	t := old
	if !update {
		t = newTicket(sess.ID)
	}
	ttl, err := s.write(ctx, t, sess, update)
	if err != nil {
		return err
	}
	if hasOld && !update {
		if err := s.remove(ctx, old); err != nil {
			return fmt.Errorf("redisstore: end the session this browser had before: %w", err)
		}
	}
	maxAge := int((ttl + time.Second - 1) / time.Second)
	http.SetCookie(w, s.cookie(s.name, t.seal(s.codec), maxAge))
	s.expireChunks(w, r)
	return nil
}

// Update rewrites the request's session as sess (after a token refresh) without
// touching the cookie: the ticket, and so the key, stay the same. It fails with
// session.ErrNoSession when the request's ticket is not for sess.ID or the session
// was deleted or revoked meanwhile.
func (s *Store) Update(ctx context.Context, r *http.Request, sess *session.Session) error {
	t, err := s.ticket(r)
	if err != nil {
		return err
	}
	if t.id != sess.ID {
		return fmt.Errorf("%w: the request's ticket is for another session", session.ErrNoSession)
	}
	_, err = s.write(ctx, t, sess, true)
	return err
}

// Delete expires the ticket cookie and deletes the request's session from Redis.
// The cookie is expired even when Redis fails.
func (s *Store) Delete(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, s.cookie(s.name, "", -1))
	if r == nil {
		return nil
	}
	s.expireChunks(w, r)
	t, ok := s.requestTicket(r)
	if !ok {
		return nil
	}
	return s.remove(r.Context(), t)
}

// write seals sess with t's key and stores it with its indexes. It returns the TTL
// it set.
func (s *Store) write(ctx context.Context, t ticket, sess *session.Session, mustExist bool) (time.Duration, error) {
	if sess.ID == "" || len(sess.ID) > maxIDLen {
		return 0, fmt.Errorf("redisstore: save session: ID must have 1 to %d bytes, has %d", maxIDLen, len(sess.ID))
	}
	now := s.now()
	stored := *sess
	if stored.ExpiresAt.IsZero() {
		stored.ExpiresAt = now.Add(s.length)
	}
	if stored.LastSeen.IsZero() {
		stored.LastSeen = now.Truncate(session.TouchInterval)
	}
	ttl := s.recordTTL(stored.ExpiresAt, now)
	if ttl < time.Millisecond {
		return 0, fmt.Errorf("redisstore: save session: already expired at %s", stored.ExpiresAt.Format(time.RFC3339))
	}
	plain, err := json.Marshal(&stored)
	if err != nil {
		return 0, fmt.Errorf("redisstore: encode session: %w", err)
	}
	flag := "0"
	if mustExist {
		flag = "1"
	}
	member := t.member()
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	keys := []string{recordKey(member), metaKey(member)}
	written, err := saveScript.Run(ctx, s.client, keys, t.sealRecord(plain), ttl.Milliseconds(), flag,
		s.sealSummary(&stored), stored.CreatedAt.UnixMilli(), now.UnixMilli()).Int()
	if err != nil {
		reloadOnError(s.client, err)
		return 0, unavailable("save session", err)
	}
	if written == 0 {
		return 0, fmt.Errorf("%w: session ended while it was being updated", session.ErrNoSession)
	}
	// The indexes follow the record: a logout by sid or sub that reads an index
	// before this session is in it misses the session, as it would miss a
	// sign-in that came a moment later.
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range indexKeys(&stored) {
			p.Eval(ctx, indexAddSrc, []string{k}, member, ttl.Milliseconds())
		}
		p.Eval(ctx, activeAddSrc, []string{activeKey}, member, ttl.Milliseconds())
		p.ZAdd(ctx, createdKey, redis.Z{Score: float64(stored.CreatedAt.UnixMilli()), Member: member})
		p.ZRemRangeByScore(ctx, createdKey, "-inf", strconv.FormatInt(now.Add(-s.length).UnixMilli(), 10))
		return nil
	})
	if err != nil {
		reloadOnError(s.client, err)
		return 0, unavailable("index session", err)
	}
	return ttl, nil
}

// recordTTL is how long a record saved or used at now lives: until expiresAt, at
// most SessionLength, and at most the idle timeout when one is set.
func (s *Store) recordTTL(expiresAt, now time.Time) time.Duration {
	ttl := min(expiresAt.Sub(now), s.length)
	if s.idle > 0 {
		ttl = min(ttl, s.idle)
	}
	return ttl
}

// remove deletes t's record and its index entries. A record t cannot open (gone,
// or another ticket's) is left alone.
func (s *Store) remove(ctx context.Context, t ticket) error {
	sess, err := s.load(ctx, t)
	if errors.Is(err, session.ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	_, err = s.deleteMembers(ctx, []string{t.member()}, indexKeys(sess))
	return err
}

// requestTicket returns the request's ticket, if it carries a valid one.
func (s *Store) requestTicket(r *http.Request) (ticket, bool) {
	t, err := s.ticket(r)
	return t, err == nil
}

// expireChunks expires the chunk cookies (NAME_0, NAME_1, …) a cookie store with
// the same name left behind, so switching SESSION_STORE does not leave kilobytes
// of dead cookies on every request.
func (s *Store) expireChunks(w http.ResponseWriter, r *http.Request) {
	session.ExpireChunks(w, r, s.name, s.secure)
}

// cookie builds the ticket cookie with the attributes every session store uses.
func (s *Store) cookie(name, value string, maxAge int) *http.Cookie {
	return session.NewCookie(name, value, maxAge, s.secure)
}
