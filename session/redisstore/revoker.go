package redisstore

import (
	"context"
	"errors"
	"math"
	"slices"
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
	// Hook, when set, observes every command and connection (metrics).
	Hook redis.Hook
}

// RedisRevoker is a session.Revoker shared by every replica through Redis, for
// gateways that keep sessions in cookies: ssogate:{rev}:sid:<sha256(sid)>,
// ssogate:{rev}:sub:<sha256(issuer, sub)>, ssogate:{rev}:user:<sha256(username)> and
// ssogate:{rev}:email:<sha256(lower-case email)> hold the revocation time and expire
// at the given until. All share the hash tag {rev}, so on a Redis Cluster they live
// in one slot and a request's check is one MGET. Errors wrap ErrUnavailable. It is
// safe for concurrent use.
type RedisRevoker struct {
	client    redis.UniversalClient
	now       func() time.Time
	opTimeout time.Duration
}

var _ session.OneLookupRevoker = (*RedisRevoker)(nil)

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
	if opts.Hook != nil {
		client.AddHook(opts.Hook)
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
	return ping(ctx, rv.client)
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
	got, err := rv.SessionRevokedSince(ctx, session.Lookup{SID: sid, IssuedAt: issuedAt})
	return got.SID, err
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
	got, err := rv.SessionRevokedSince(ctx, session.Lookup{Issuer: issuer, Subject: sub, IssuedAt: issuedAt})
	return got.Subject, err
}

// RevokeUser implements session.Revoker: one key for the username, one for the
// email, both in slot {rev}, written by one script each.
func (rv *RedisRevoker) RevokeUser(ctx context.Context, name string, until time.Time) error {
	if name == "" {
		return errors.New("redisstore: revoke: empty username or email")
	}
	if err := rv.revoke(ctx, revUserPrefix+digest(name), until); err != nil {
		return err
	}
	return rv.revoke(ctx, revEmailPrefix+digest(session.EmailKey(name)), until)
}

// UserRevokedSince implements session.Revoker. Times compare at millisecond
// precision.
func (rv *RedisRevoker) UserRevokedSince(ctx context.Context, username, email string, issuedAt time.Time) (bool, error) {
	got, err := rv.SessionRevokedSince(ctx, session.Lookup{Username: username, Email: email, IssuedAt: issuedAt})
	return got.User, err
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
		reloadOnError(rv.client, err)
		return unavailable("record revocation", err)
	}
	return nil
}

// SessionRevokedSince implements session.OneLookupRevoker: one MGET of every
// revocation key q names (on a single node also the sid and subject keys of the
// layout before hash tags, so an upgrade forgets no logout). Times compare at
// millisecond precision.
func (rv *RedisRevoker) SessionRevokedSince(ctx context.Context, q session.Lookup) (session.Revoked, error) {
	var sidKeys, subKeys, userKeys []string
	if q.SID != "" {
		sidKeys = rv.keys(revSIDPrefix, legacyRevSIDPrefix, digest(q.SID))
	}
	if q.Subject != "" {
		subKeys = rv.keys(revSubPrefix, legacyRevSubPrefix, digest(q.Issuer, q.Subject))
	}
	if q.Username != "" {
		userKeys = append(userKeys, revUserPrefix+digest(q.Username))
	}
	if q.Email != "" {
		userKeys = append(userKeys, revEmailPrefix+digest(session.EmailKey(q.Email)))
	}
	keys := slices.Concat(sidKeys, subKeys, userKeys)
	if len(keys) == 0 {
		return session.Revoked{}, nil
	}
	ctx, cancel := opContext(ctx, rv.opTimeout)
	defer cancel()
	vals, err := rv.client.MGet(ctx, keys...).Result()
	if err != nil {
		reloadOnError(rv.client, err)
		return session.Revoked{}, unavailable("check revocation", err)
	}
	revoked := func(vals []any) bool {
		for _, v := range vals {
			if str, ok := v.(string); ok && q.IssuedAt.UnixMilli() <= revocationTime(str) {
				return true
			}
		}
		return false
	}
	nSID, nSub := len(sidKeys), len(subKeys)
	return session.Revoked{SID: revoked(vals[:nSID]), Subject: revoked(vals[nSID : nSID+nSub]),
		User: revoked(vals[nSID+nSub:])}, nil
}

// keys returns the revocation key of digest d, and on a single node also its key
// in the layout before hash tags.
func (rv *RedisRevoker) keys(prefix, legacy, d string) []string {
	if _, cluster := rv.client.(*redis.ClusterClient); cluster {
		return []string{prefix + d}
	}
	return []string{prefix + d, legacy + d}
}

// revocationTime parses a stored revocation time (Unix ms). A value this package
// did not write still means "revoked", as of always.
func revocationTime(v string) int64 {
	at, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return math.MaxInt64
	}
	return at
}
