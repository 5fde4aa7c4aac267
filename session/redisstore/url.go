package redisstore

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// newClient returns a client for the Redis (or Valkey) named by rawURL, in one of
// the forms parseURL takes. It does not connect.
func newClient(rawURL string, timeout time.Duration) (redis.UniversalClient, error) {
	o, err := parseURL(rawURL, timeout)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	return o.client(), nil
}

// CheckURL reports what is wrong with a Redis URL for SESSION_STORE or
// REVOCATION_STORE, as New and NewRevoker would, without connecting: an error
// worded to follow the setting's name, or nil.
func CheckURL(rawURL string) error {
	_, err := parseURL(rawURL, DefaultOpTimeout)
	return err
}

// clientOptions are the parsed options of one of go-redis's three clients.
type clientOptions struct {
	single   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

func (o clientOptions) client() redis.UniversalClient {
	switch {
	case o.cluster != nil:
		return redis.NewClusterClient(o.cluster)
	case o.failover != nil:
		return redis.NewFailoverClient(o.failover)
	}
	return redis.NewClient(o.single)
}

// urlHelp ends a problem go-redis found in a URL.
const urlHelp = " (docs/sessions.md lists the URL forms and options)"

// parseURL reads rawURL:
//
//   - redis://[user:password@]host:port/db — plain TCP
//   - rediss://… — TLS
//   - unix:///path/to/redis.sock?db=N — a Unix socket
//   - redis://[user:password@]sentinel:26379/db?master_name=NAME&addr=sentinel2:26379
//     — Redis Sentinel: the host and every addr are sentinels, NAME the monitored master
//   - redis://[user:password@]host:port?cluster=true&addr=host2:port — Redis Cluster
//     (rediss:// for TLS): the host and every addr are seed nodes
//
// Other go-redis query parameters (dial_timeout, pool_size, …) are accepted, within
// the ranges go-redis can build a pool with. Timeouts not set in the URL default to
// timeout, and a failed dial is not retried by the dialer itself. Every key a script
// touches shares one hash tag (ticket.go), so the same code runs on one node and on
// a cluster.
func parseURL(rawURL string, timeout time.Duration) (clientOptions, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return clientOptions{}, fmt.Errorf("is not a URL: %w", redactURLError(err))
	}
	q := u.Query()
	switch {
	case q.Has("cluster"):
		return parseClusterURL(u, q, timeout)
	case q.Has("master_name"):
		if u.Scheme == "unix" {
			return clientOptions{}, errors.New("names a Sentinel master over a Unix socket: Sentinel is reached over TCP, use redis:// or rediss://")
		}
		fo, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return clientOptions{}, fmt.Errorf("%w%s", redactURLError(err), urlHelp)
		}
		if err := checkNumbers(fo.DB, fo.PoolSize, fo.MinIdleConns, fo.MaxIdleConns, fo.MaxActiveConns, fo.PipelinePoolSize); err != nil {
			return clientOptions{}, err
		}
		bound(timeout, &fo.DialTimeout, &fo.ReadTimeout, &fo.WriteTimeout, &fo.PoolTimeout, &fo.DialerRetries)
		fo.ContextTimeoutEnabled = true
		return clientOptions{failover: fo}, nil
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return clientOptions{}, fmt.Errorf("%w%s", redactURLError(err), urlHelp)
	}
	if err := checkNumbers(o.DB, o.PoolSize, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns, o.PipelinePoolSize); err != nil {
		return clientOptions{}, err
	}
	bound(timeout, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries)
	o.ContextTimeoutEnabled = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return clientOptions{single: o}, nil
}

// ClusterReloadInterval is how often the cluster client re-reads the slot map
// even without errors (go-redis's default is 60 s). A MOVED reply or a failed
// operation reloads it at once (reloadOnError); this bounds how long a failover
// the client has not yet tripped over can stay unnoticed.
const ClusterReloadInterval = 2 * time.Second

// parseClusterURL reads the URL of a Redis Cluster: u's host and every addr are
// seed nodes.
func parseClusterURL(u *url.URL, q url.Values, timeout time.Duration) (clientOptions, error) {
	switch {
	case q.Get("cluster") != "true":
		return clientOptions{}, fmt.Errorf("has cluster=%s: use cluster=true for a Redis Cluster (more seed nodes as &addr=HOST:PORT), or drop it for one node", q.Get("cluster"))
	case q.Has("master_name"):
		return clientOptions{}, errors.New("names both a Redis Cluster (cluster=true) and a Sentinel master (master_name): keep the one your Redis is")
	case u.Scheme == "unix":
		return clientOptions{}, errors.New("names a Redis Cluster over a Unix socket: a cluster is reached over TCP, use redis:// or rediss://")
	case u.Path != "" && u.Path != "/" && u.Path != "/0":
		return clientOptions{}, fmt.Errorf("names database %s, but a Redis Cluster has only database 0: drop the path", u.Path[1:])
	}
	q.Del("cluster")
	cu := *u
	cu.Path, cu.RawQuery = "", q.Encode()
	co, err := redis.ParseClusterURL(cu.String())
	if err != nil {
		return clientOptions{}, fmt.Errorf("%w%s", redactURLError(err), urlHelp)
	}
	if err := checkNumbers(0, co.PoolSize, co.MinIdleConns, co.MaxIdleConns, co.MaxActiveConns, co.PipelinePoolSize); err != nil {
		return clientOptions{}, err
	}
	bound(timeout, &co.DialTimeout, &co.ReadTimeout, &co.WriteTimeout, &co.PoolTimeout, &co.DialerRetries)
	co.ContextTimeoutEnabled = true
	co.ClusterStateReloadInterval = ClusterReloadInterval
	co.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return clientOptions{cluster: co}, nil
}

// checkNumbers refuses the numbers go-redis takes from a URL as they come and then
// fails on: a negative database, which Redis refuses on every connection, and a
// pool size it panics on when it builds the pool (a negative pool_size, or any size
// over 2^31-1). A pool size of 0 is go-redis's default; pipeline_pool_size=-1 turns
// that pool off.
func checkNumbers(db, poolSize, minIdle, maxIdle, maxActive, pipelinePoolSize int) error {
	if db < 0 {
		return fmt.Errorf("names database %d: a database number is 0 or more, e.g. /0", db)
	}
	for _, p := range []struct {
		name  string
		value int
		least int
	}{
		{"pool_size", poolSize, 0}, {"min_idle_conns", minIdle, 0}, {"max_idle_conns", maxIdle, 0},
		{"max_active_conns", maxActive, 0}, {"pipeline_pool_size", pipelinePoolSize, -1},
	} {
		if p.value < p.least || p.value > math.MaxInt32 {
			return fmt.Errorf("has %s=%d: it must be from %d to %d (0: go-redis's default), e.g. %s=50",
				p.name, p.value, p.least, math.MaxInt32, p.name)
		}
	}
	return nil
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
