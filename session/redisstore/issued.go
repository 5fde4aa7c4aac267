package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// issuedPrefix + digest(sid) holds when the last session the gateway issued for that
// IdP session ends (Unix ms), and expires then: front-channel logout revokes only
// these sids, so what an anonymous caller can add to Redis is bounded by real
// sign-ins, and every revocation expires with the sessions it revokes.
const issuedPrefix = "ssogate:sidissued:"

// issuedScript keeps the later of the stored and the given end, expiring then.
//
//	KEYS[1] issued key; ARGV[1] end (Unix ms), ARGV[2] TTL in ms
var issuedScript = redis.NewScript(`
local untilms = tonumber(ARGV[1])
local prev = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if prev >= untilms then return 0 end
redis.call("SET", KEYS[1], string.format("%d", untilms), "PX", tonumber(ARGV[2]))
return 1
`)

// Issued implements session.Revoker.
func (rv *RedisRevoker) Issued(ctx context.Context, sid string, until time.Time) error {
	if sid == "" {
		return errors.New("redisstore: issued: empty IdP session ID")
	}
	ttl := until.Sub(rv.now())
	if ttl < time.Millisecond {
		return nil
	}
	ctx, cancel := opContext(ctx, rv.opTimeout)
	defer cancel()
	if err := issuedScript.Run(ctx, rv.client, []string{issuedPrefix + digest(sid)}, until.UnixMilli(), ttl.Milliseconds()).Err(); err != nil {
		return unavailable("record issued IdP session", err)
	}
	return nil
}

// IssuedUntil implements session.Revoker.
func (rv *RedisRevoker) IssuedUntil(ctx context.Context, sid string) (time.Time, bool, error) {
	ctx, cancel := opContext(ctx, rv.opTimeout)
	defer cancel()
	v, err := rv.client.Get(ctx, issuedPrefix+digest(sid)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, unavailable("check issued IdP session", err)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, nil // not ours: unknown
	}
	return time.UnixMilli(ms), true, nil
}
