package redisstore

// Operations that act across replicas: logout everywhere, the active-session
// count, and the refresh lock.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// countScript counts the unexpired members of the active set, by Redis's clock.
var countScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call("ZCOUNT", KEYS[1], string.format("(%d", now), "+inf")
`)

// deleteBatch bounds how many records one pipeline deletes.
const deleteBatch = 256

// DeleteBySID ends every session signed in with IdP session sid (front- and
// back-channel logout) on every replica, and returns how many it ended.
func (s *Store) DeleteBySID(ctx context.Context, sid string) (int, error) {
	if sid == "" {
		return 0, errors.New("redisstore: delete by sid: empty sid")
	}
	return s.deleteIndex(ctx, sidKey(sid))
}

// DeleteBySubject ends every session of subject sub at issuer (back-channel logout
// without sid) on every replica, and returns how many it ended.
func (s *Store) DeleteBySubject(ctx context.Context, issuer, sub string) (int, error) {
	if sub == "" {
		return 0, errors.New("redisstore: delete by subject: empty subject")
	}
	return s.deleteIndex(ctx, subjectKey(issuer, sub))
}

// deleteIndex deletes the records the index set lists. A session saved while it
// runs is not in the members read and survives, as a sign-in after a logout does.
// On a Redis Cluster the index is read from its slot, then each record is deleted
// in its own: one pipeline per batch, which go-redis splits by node.
func (s *Store) deleteIndex(ctx context.Context, index string) (int, error) {
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	members, err := s.client.SMembers(ctx, index).Result()
	if err != nil {
		reloadOnError(s.client, err)
		return 0, unavailable("read session index", err)
	}
	total := 0
	for len(members) > 0 {
		batch := members[:min(len(members), deleteBatch)]
		members = members[len(batch):]
		n, err := s.deleteMembers(ctx, batch, []string{index})
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// deleteMembers deletes the records of members and takes them out of the index
// sets and the active set. It returns how many records existed.
func (s *Store) deleteMembers(ctx context.Context, members, indexes []string) (int, error) {
	dels := make([]*redis.IntCmd, len(members))
	ms := make([]any, len(members))
	for i, m := range members {
		ms[i] = m
	}
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			dels[i] = p.Del(ctx, recordKey(m))
			p.Del(ctx, metaKey(m))
		}
		for _, idx := range indexes {
			p.SRem(ctx, idx, ms...)
		}
		p.ZRem(ctx, activeKey, ms...)
		p.ZRem(ctx, createdKey, ms...)
		return nil
	})
	n := 0
	for _, d := range dels {
		n += int(d.Val())
	}
	if err != nil {
		reloadOnError(s.client, err)
		return n, unavailable("delete sessions", err)
	}
	return n, nil
}

// Count returns the number of sessions not yet expired, for an active-sessions gauge.
func (s *Store) Count(ctx context.Context) (int64, error) {
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	n, err := countScript.Run(ctx, s.client, []string{activeKey}).Int64()
	if err != nil {
		return 0, unavailable("count sessions", err)
	}
	return n, nil
}

// unlockScript deletes the lock only if it still holds this holder's token, so a
// holder whose lock expired never releases the next holder's.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
`)

// Lock takes the refresh lock of a session across every replica, so one token
// refresh per session runs at a time (a rotating refresh token must not race).
// ok is false when another holder has it. The lock expires after ttl if unlock is
// never called; unlock releases it early and is safe to call more than once. An
// error wraps ErrUnavailable.
func (s *Store) Lock(ctx context.Context, sessionID string, ttl time.Duration) (unlock func(), ok bool, err error) {
	if ttl < time.Millisecond {
		return nil, false, fmt.Errorf("redisstore: lock: ttl %v is under a millisecond", ttl)
	}
	if sessionID == "" {
		return nil, false, errors.New("redisstore: lock: empty session ID")
	}
	key := lockPrefix + digest(sessionID)
	token := rand.Text()
	opCtx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	ok, err = s.client.SetNX(opCtx, key, token, ttl).Result()
	if err != nil {
		return nil, false, unavailable("take refresh lock", err)
	}
	if !ok {
		return nil, false, nil
	}
	var once sync.Once
	unlock = func() {
		once.Do(func() {
			// The caller's context may be done by now; release regardless,
			// bounded by the operation timeout. A failure leaves the lock to expire.
			ctx, cancel := opContext(context.WithoutCancel(ctx), s.opTimeout)
			defer cancel()
			_ = unlockScript.Run(ctx, s.client, []string{key}, token).Err()
		})
	}
	return unlock, true, nil
}
