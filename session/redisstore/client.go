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
//
// Other go-redis query parameters (dial_timeout, pool_size, …) are accepted. Timeouts
// not set in the URL default to timeout, and a failed dial is not retried by the
// dialer itself. Redis Cluster is not supported: a session and
// its indexes are updated in one script, which needs them on one node.
func newClient(rawURL string, timeout time.Duration) (*redis.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse SESSION_STORE URL: %w", redactURLError(err))
	}
	if u.Query().Has("master_name") {
		fo, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redisstore: parse Sentinel URL: %w", redactURLError(err))
		}
		setDefault(&fo.DialTimeout, timeout)
		setDefault(&fo.ReadTimeout, timeout)
		setDefault(&fo.WriteTimeout, timeout)
		setDefault(&fo.PoolTimeout, timeout)
		if fo.DialerRetries == 0 {
			fo.DialerRetries = 1
		}
		fo.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(fo), nil
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse SESSION_STORE URL: %w", redactURLError(err))
	}
	setDefault(&o.DialTimeout, timeout)
	setDefault(&o.ReadTimeout, timeout)
	setDefault(&o.WriteTimeout, timeout)
	setDefault(&o.PoolTimeout, timeout)
	if o.DialerRetries == 0 {
		// A refused connection fails at once; command retries (MaxRetries, with
		// backoff) still ride out a blip within the operation timeout.
		o.DialerRetries = 1
	}
	o.ContextTimeoutEnabled = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(o), nil
}

// setDefault sets *d to def when the URL left it unset.
func setDefault(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
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
