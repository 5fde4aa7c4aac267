package redisstore

// Last use and idle timeout (SESSION_IDLE_TIMEOUT), and the summary the admin
// listing shows of each session.

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/session"
)

// purposeSummary seals the summary the admin listing reads (user, IdP), so a Redis
// dump still reveals no identity.
const purposeSummary = "redis-session-summary"

// touchScript records that a session is in use, at most once per interval across
// every replica, and slides its expiry when an idle timeout is set.
//
//	KEYS[1] record, KEYS[2] meta; ARGV[1] now (Unix ms), ARGV[2] new TTL in ms (0:
//	keep the expiry), ARGV[3] the interval in ms
//
// It returns 1 when it wrote, 0 when the last write is recent, -1 when the session
// is gone.
var touchScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[2]) == 0 or redis.call("EXISTS", KEYS[1]) == 0 then
  return -1
end
local now = tonumber(ARGV[1])
local seen = tonumber(redis.call("HGET", KEYS[2], "seen") or "0") or 0
if now - seen < tonumber(ARGV[3]) then
  return 0
end
redis.call("HSET", KEYS[2], "seen", ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call("PEXPIRE", KEYS[1], ttl)
  redis.call("PEXPIRE", KEYS[2], ttl)
end
return 1
`)

// touch records that sess, loaded through ticket t, is in use. Each replica asks
// Redis at most once per touch interval per session (opened.touched); the script
// writes at most once per interval whichever replica asks. A failure is left for
// the next request: the session was loaded, and its expiry is at least the idle
// timeout minus the interval away.
func (s *Store) touch(ctx context.Context, t ticket, sess *session.Session, now time.Time) {
	ttl := time.Duration(0)
	if s.idle > 0 {
		ttl = s.recordTTL(sess.ExpiresAt, now)
		if ttl < time.Millisecond {
			return
		}
	}
	member := t.member()
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	wrote, err := touchScript.Run(ctx, s.client, []string{recordKey(member), metaKey(member)},
		now.UnixMilli(), ttl.Milliseconds(), s.touchEvery.Milliseconds()).Int()
	if err != nil {
		reloadOnError(s.client, err)
		return
	}
	if wrote == 1 && ttl > 0 {
		// The active set follows the record's new expiry (its own slot).
		_ = s.client.ZAddXX(ctx, activeKey, redis.Z{Score: float64(now.Add(ttl).UnixMilli()), Member: member}).Err()
	}
}

// summary is what the admin listing shows of a session, sealed in its meta key.
type summary struct {
	Subject  string `json:"sub"`
	Username string `json:"user,omitempty"`
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	Issuer   string `json:"iss,omitempty"`
	IdP      string `json:"idp,omitempty"`
}

// sealSummary seals what the admin listing shows of sess.
func (s *Store) sealSummary(sess *session.Session) string {
	id := sess.Identity
	plain, _ := json.Marshal(summary{Subject: id.Subject, Username: id.Username, Email: id.Email, Name: id.Name,
		Issuer: id.Issuer, IdP: id.IdP}) // a struct of strings always encodes
	return s.codec.Seal(purposeSummary, plain)
}

// List returns up to limit sessions, newest first, skipping the offset newest, and
// how many sessions the listing holds in all (an upper bound: ended sessions leave
// it lazily). It reads the created set (one slot), then each session's meta key
// in its own slot, in one pipeline.
func (s *Store) List(ctx context.Context, offset, limit int) ([]session.Listed, int64, error) {
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	total, err := s.client.ZCard(ctx, createdKey).Result()
	if err != nil {
		reloadOnError(s.client, err)
		return nil, 0, unavailable("list sessions", err)
	}
	members, err := s.client.ZRevRange(ctx, createdKey, int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		reloadOnError(s.client, err)
		return nil, 0, unavailable("list sessions", err)
	}
	metas := make([]*redis.MapStringStringCmd, len(members))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			metas[i] = p.HGetAll(ctx, metaKey(m))
		}
		return nil
	})
	if err != nil {
		reloadOnError(s.client, err)
		return nil, 0, unavailable("read sessions", err)
	}
	out := make([]session.Listed, 0, len(members))
	var gone []any
	for i, m := range members {
		l, ok := s.listed(metas[i].Val())
		if !ok {
			gone = append(gone, m)
			continue
		}
		out = append(out, l)
	}
	if len(gone) > 0 {
		_ = s.client.ZRem(ctx, createdKey, gone...).Err() // ended or expired: drop from the listing
	}
	return out, total, nil
}

// listed opens a meta hash; ok is false when it is gone or does not open.
func (s *Store) listed(meta map[string]string) (session.Listed, bool) {
	plain, err := s.codec.Open(purposeSummary, meta["info"])
	if err != nil {
		return session.Listed{}, false
	}
	var sum summary
	if json.Unmarshal(plain, &sum) != nil {
		return session.Listed{}, false
	}
	ms := func(k string) time.Time {
		v, _ := strconv.ParseInt(meta[k], 10, 64)
		return time.UnixMilli(v).UTC()
	}
	return session.Listed{Subject: sum.Subject, Username: sum.Username, Email: sum.Email, Name: sum.Name,
		Issuer: sum.Issuer, IdP: sum.IdP, Created: ms("created"), LastSeen: ms("seen")}, true
}

// SignOutUser ends every session whose subject, username or email is who (exact,
// case-insensitive for the email), on every replica: it finds the subjects among
// the listed sessions, then ends each subject's sessions through its index. It
// returns the subjects found and how many sessions ended.
func (s *Store) SignOutUser(ctx context.Context, who string) ([]session.Listed, int, error) {
	var users []session.Listed
	seen := map[[2]string]bool{}
	for offset := 0; ; offset += listBatch {
		page, _, err := s.List(ctx, offset, listBatch)
		if err != nil {
			return nil, 0, err
		}
		for _, l := range page {
			if l.Subject != who && l.Username != who && !strings.EqualFold(l.Email, who) || who == "" {
				continue
			}
			if k := [2]string{l.Issuer, l.Subject}; !seen[k] {
				seen[k] = true
				users = append(users, l)
			}
		}
		if len(page) < listBatch {
			break
		}
	}
	total := 0
	for _, u := range users {
		n, err := s.DeleteBySubject(ctx, u.Issuer, u.Subject)
		total += n
		if err != nil {
			return users, total, err
		}
	}
	return users, total, nil
}

// listBatch is how many sessions SignOutUser reads at a time.
const listBatch = 500
