package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// deleteMembersScript deletes the records named by ARGV and takes them out of the
// index set and the active set. It returns how many records existed.
//
//	KEYS[1] index set, KEYS[2] active set, KEYS[2+i] the record of ARGV[i]
var deleteMembersScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  n = n + redis.call("DEL", KEYS[i + 2])
  redis.call("SREM", KEYS[1], ARGV[i])
  redis.call("ZREM", KEYS[2], ARGV[i])
end
return n
`)

// countScript counts the unexpired members of the active set, by Redis's clock.
var countScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call("ZCOUNT", KEYS[1], string.format("(%d", now), "+inf")
`)

// deleteBatch bounds how many records one deleteMembersScript call deletes.
const deleteBatch = 256

// DeleteBySID ends every session signed in with IdP session sid (front- and
// back-channel logout) on every replica, and returns how many it ended.
func (s *Store) DeleteBySID(ctx context.Context, sid string) (int, error) {
	if sid == "" {
		return 0, errors.New("redisstore: delete by sid: empty sid")
	}
	return s.deleteIndex(ctx, sidPrefix+digest(sid))
}

// DeleteBySubject ends every session of subject sub at issuer (back-channel logout
// without sid) on every replica, and returns how many it ended.
func (s *Store) DeleteBySubject(ctx context.Context, issuer, sub string) (int, error) {
	if sub == "" {
		return 0, errors.New("redisstore: delete by subject: empty subject")
	}
	return s.deleteIndex(ctx, subjectPrefix+digest(issuer, sub))
}

// deleteIndex deletes the records the index set lists. A session saved while it
// runs is not in the members read and survives, as a sign-in after a logout does.
func (s *Store) deleteIndex(ctx context.Context, index string) (int, error) {
	ctx, cancel := opContext(ctx, s.opTimeout)
	defer cancel()
	members, err := s.client.SMembers(ctx, index).Result()
	if err != nil {
		return 0, unavailable("read session index", err)
	}
	total := 0
	for len(members) > 0 {
		batch := members[:min(len(members), deleteBatch)]
		members = members[len(batch):]
		keys := make([]string, 0, len(batch)+2)
		keys = append(keys, index, activeKey)
		args := make([]any, len(batch))
		for i, m := range batch {
			keys = append(keys, recordKey(m))
			args[i] = m
		}
		n, err := deleteMembersScript.Run(ctx, s.client, keys, args...).Int()
		total += n
		if err != nil {
			return total, unavailable("delete sessions", err)
		}
	}
	return total, nil
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
