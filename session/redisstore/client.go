package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/ssogate/ssogate/session"
)

// DefaultOpTimeout bounds each Redis operation when Options.OpTimeout is zero:
// an outage must fail a request fast, not hang it.
const DefaultOpTimeout = time.Second

// ErrUnavailable is session.ErrUnavailable: Redis could not be reached or did not
// answer within the operation timeout. It is never ErrNoSession.
var ErrUnavailable = session.ErrUnavailable

// newClient connects to the Redis (or Valkey) named by rawURL:
//
//   - redis://[user:password@]host:port/db — plain TCP
//   - rediss://… — TLS
//   - unix:///path/to/redis.sock?db=N — a Unix socket
//   - redis://[user:password@]sentinel:26379/db?master_name=NAME&addr=sentinel2:26379
//     — Redis Sentinel: the host and every addr are sentinels, NAME the monitored master
//   - redis://[user:password@]host:port?cluster=true&addr=host2:port — Redis Cluster
//     (rediss:// for TLS): the host and every addr are seed nodes
//
// Other go-redis query parameters (dial_timeout, pool_size, …) are accepted. Timeouts
// not set in the URL default to timeout, and a failed dial is not retried by the
// dialer itself. Every key a script touches shares one hash tag (ticket.go), so
// the same code runs on one node and on a cluster.
func newClient(rawURL string, timeout time.Duration) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse SESSION_STORE URL: %w", redactURLError(err))
	}
	q := u.Query()
	if q.Has("cluster") {
		return newClusterClient(u, q, timeout)
	}
	if q.Has("master_name") {
		fo, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redisstore: parse Sentinel URL: %w", redactURLError(err))
		}
		bound(timeout, &fo.DialTimeout, &fo.ReadTimeout, &fo.WriteTimeout, &fo.PoolTimeout, &fo.DialerRetries)
		fo.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(fo), nil
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse SESSION_STORE URL: %w", redactURLError(err))
	}
	bound(timeout, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries)
	o.ContextTimeoutEnabled = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(o), nil
}

// ClusterReloadInterval is how often the cluster client re-reads the slot map
// even without errors (go-redis's default is 60 s). A MOVED reply or a failed
// operation reloads it at once (reloadOnError); this bounds how long a failover
// the client has not yet tripped over can stay unnoticed.
const ClusterReloadInterval = 2 * time.Second

// newClusterClient connects to the Redis Cluster whose seed nodes u names.
func newClusterClient(u *url.URL, q url.Values, timeout time.Duration) (redis.UniversalClient, error) {
	switch v := q.Get("cluster"); v {
	case "true":
	default:
		return nil, fmt.Errorf("redisstore: cluster=%q: use cluster=true, or drop the parameter for a single node", v)
	}
	if u.Path != "" && u.Path != "/" && u.Path != "/0" {
		return nil, fmt.Errorf("redisstore: Redis Cluster has only database 0, the URL names %q: drop the path", u.Path)
	}
	q.Del("cluster")
	cu := *u
	cu.Path, cu.RawQuery = "", q.Encode()
	co, err := redis.ParseClusterURL(cu.String())
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse Redis Cluster URL: %w", redactURLError(err))
	}
	bound(timeout, &co.DialTimeout, &co.ReadTimeout, &co.WriteTimeout, &co.PoolTimeout, &co.DialerRetries)
	co.ContextTimeoutEnabled = true
	co.ClusterStateReloadInterval = ClusterReloadInterval
	co.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClusterClient(co), nil
}

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

// bound sets the timeouts the URL left unset to timeout, and the dialer's retries
// to one: a refused connection fails at once, while command retries (MaxRetries,
// with backoff) still ride out a blip within the operation timeout.
func bound(timeout time.Duration, dial, read, write, pool *time.Duration, dialerRetries *int) {
	for _, d := range []*time.Duration{dial, read, write, pool} {
		if *d == 0 {
			*d = timeout
		}
	}
	if *dialerRetries == 0 {
		*dialerRetries = 1
	}
}

// redactURLError drops the URL, which may hold a password, from a parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
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
