package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

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
