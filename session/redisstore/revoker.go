package redisstore

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/session"
)

// revokeScript records a revocation: the later of the stored and the given
// revocation times, kept for the longer of the remaining and the given TTL.
//
//	KEYS[1] revocation key; ARGV[1] revocation time (Unix ms), ARGV[2] TTL in ms
var revokeScript = redis.NewScript(`
local at = tonumber(ARGV[1])
local prev = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if prev > at then at = prev end
local ttl = tonumber(ARGV[2])
local left = redis.call("PTTL", KEYS[1])
if left > ttl then ttl = left end
redis.call("SET", KEYS[1], string.format("%d", at), "PX", ttl)
return 1
`)

// RevokerOptions configures a RedisRevoker.
type RevokerOptions struct {
	// URL names the Redis or Valkey server, in the forms New accepts. Required.
	URL string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OpTimeout bounds each Redis operation; DefaultOpTimeout when zero.
	OpTimeout time.Duration
}

// RedisRevoker is a session.Revoker shared by every replica through Redis, for
// gateways that keep sessions in cookies: ssogate:rev:<sha256(sid)> and
// ssogate:revsub:<sha256(issuer, sub)> hold the revocation time and expire at the
// given until. Errors wrap ErrUnavailable. It is safe for concurrent use.
type RedisRevoker struct {
	client    *redis.Client
	now       func() time.Time
	opTimeout time.Duration
}

var _ session.Revoker = (*RedisRevoker)(nil)

// NewRevoker returns a RedisRevoker for opts. It does not contact Redis.
func NewRevoker(opts RevokerOptions) (*RedisRevoker, error) {
	rv := &RedisRevoker{now: opts.Now, opTimeout: opts.OpTimeout}
	if rv.now == nil {
		rv.now = time.Now
	}
	if rv.opTimeout <= 0 {
		rv.opTimeout = DefaultOpTimeout
	}
	client, err := newClient(opts.URL, rv.opTimeout)
	if err != nil {
		return nil, err
	}
	rv.client = client
	return rv, nil
}

// Close closes the connections to Redis.
func (rv *RedisRevoker) Close() error { return rv.client.Close() }

// Ping checks that Redis answers, for /readyz. Its error wraps ErrUnavailable.
func (rv *RedisRevoker) Ping(ctx context.Context) error {
	ctx, cancel := opContext(ctx, rv.opTimeout)
	defer cancel()
	if err := rv.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Revoke implements session.Revoker.
func (rv *RedisRevoker) Revoke(ctx context.Context, sid string, until time.Time) error {
	if sid == "" {
		return errors.New("redisstore: revoke: empty IdP session ID")
	}
	return rv.revoke(ctx, revSIDPrefix+digest(sid), until)
}

// RevokedSince implements session.Revoker. Times compare at millisecond precision.
func (rv *RedisRevoker) RevokedSince(ctx context.Context, sid string, issuedAt time.Time) (bool, error) {
	at, ok, err := rv.lookup(ctx, revSIDPrefix+digest(sid))
	return ok && issuedAt.UnixMilli() <= at, err
}

// RevokeSubject implements session.Revoker.
func (rv *RedisRevoker) RevokeSubject(ctx context.Context, issuer, sub string, until time.Time) error {
	if sub == "" {
		return errors.New("redisstore: revoke: empty subject")
	}
	return rv.revoke(ctx, revSubPrefix+digest(issuer, sub), until)
}

// SubjectRevokedSince implements session.Revoker. Times compare at millisecond
// precision.
func (rv *RedisRevoker) SubjectRevokedSince(ctx context.Context, issuer, sub string, issuedAt time.Time) (bool, error) {
	at, ok, err := rv.lookup(ctx, revSubPrefix+digest(issuer, sub))
	return ok && issuedAt.UnixMilli() <= at, err
}

// revoke records a revocation at now, kept until the given time.
func (rv *RedisRevoker) revoke(ctx context.Context, key string, until time.Time) error {
	now := rv.now()
	ttl := until.Sub(now)
	if ttl < time.Millisecond {
		return nil // nothing it could concern is still alive
	}
	ctx, cancel := opContext(ctx, rv.opTimeout)
	defer cancel()
	if err := revokeScript.Run(ctx, rv.client, []string{key}, now.UnixMilli(), ttl.Milliseconds()).Err(); err != nil {
		return unavailable("record revocation", err)
	}
	return nil
}

// lookup returns the revocation time stored at key (Unix ms), if any.
func (rv *RedisRevoker) lookup(ctx context.Context, key string) (int64, bool, error) {
	ctx, cancel := opContext(ctx, rv.opTimeout)
	defer cancel()
	v, err := rv.client.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, unavailable("check revocation", err)
	}
	at, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		// A value this package did not write still means "revoked", as of always.
		return math.MaxInt64, true, nil
	}
	return at, true, nil
}
