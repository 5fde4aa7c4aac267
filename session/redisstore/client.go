package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/session"
)

// DefaultOpTimeout bounds each Redis operation when Options.OpTimeout is zero:
// an outage must fail a request fast, not hang it.
const DefaultOpTimeout = time.Second

// ErrUnavailable is session.ErrUnavailable: Redis could not be reached or did not
// answer within the operation timeout. It is never ErrNoSession.
var ErrUnavailable = session.ErrUnavailable

// reloadOnError asks a cluster client to re-read its slot map after a failed
// operation: a master that stopped answering may have been replaced by its
// replica. A single-node client ignores it.
func reloadOnError(c redis.UniversalClient, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		return
	}
	if cc, ok := c.(*redis.ClusterClient); ok {
		cc.ReloadState(context.Background())
	}
}

// unavailable wraps a Redis failure during op in ErrUnavailable.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// ping checks that Redis answers: a single node, or every master of a cluster,
// so /readyz reports a cluster whose master is down until a replica takes over.
func ping(ctx context.Context, c redis.UniversalClient) error {
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			return m.Ping(ctx).Err()
		})
	} else {
		err = c.Ping(ctx).Err()
	}
	if err != nil {
		reloadOnError(c, err)
		return unavailable("ping", err)
	}
	return nil
}

// opContext bounds one Redis operation by timeout.
func opContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, timeout)
}

// SetLogger sends go-redis's own log lines (failed dials, pool warnings) to l at
// Warn level instead of the standard logger. go-redis keeps one logger per
// process, so only main calls this, once.
func SetLogger(l *slog.Logger) { redis.SetLogger(slogAdapter{l}) }

// slogAdapter is go-redis's logging interface over a *slog.Logger.
type slogAdapter struct{ l *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (a slogAdapter) Printf(ctx context.Context, format string, v ...any) {
	a.l.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "redis")
}
