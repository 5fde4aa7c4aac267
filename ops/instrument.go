package ops

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

var (
	// IdPCalls are the values of ssogate_idp_request_duration_seconds's call.
	IdPCalls = []string{"discovery", "jwks", "token", "refresh", "userinfo", "graph", "other"}
	// IdPOutcomes are its outcome: a 1xx–3xx answer, a 4xx or 5xx one, or none.
	IdPOutcomes = []string{"ok", "http_error", "error"}
	// RedisStores are the values of ssogate_redis_errors_total's store.
	RedisStores = []string{"session", "revocation"}
)

// InstrumentIdP returns base observing each call's duration in m.IdPLatency, under
// the call callOf names (one of IdPCalls; anything else counts as "other").
func InstrumentIdP(base http.RoundTripper, m *Metrics, callOf func(*http.Request) string) http.RoundTripper {
	return idpTransport{base: base, hist: m.IdPLatency, callOf: callOf}
}

type idpTransport struct {
	base   http.RoundTripper
	hist   *prometheus.HistogramVec
	callOf func(*http.Request) string
}

// RoundTrip times the call until the response headers arrive.
func (t idpTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "error"
	case resp.StatusCode >= 400:
		outcome = "http_error"
	}
	t.hist.WithLabelValues(oneOf(IdPCalls, t.callOf(r)), outcome).Observe(time.Since(start).Seconds())
	return resp, err
}

// RedisHook returns a go-redis hook counting failed commands, pipelines and
// connections of store (one of RedisStores) in m.RedisErrors. A missing key
// (redis.Nil) is an answer, not an error.
func RedisHook(m *Metrics, store string) redis.Hook {
	return redisHook{errs: m.RedisErrors.WithLabelValues(oneOf(RedisStores, store))}
}

type redisHook struct{ errs prometheus.Counter }

func (h redisHook) failed(err error) {
	if err != nil && !errors.Is(err, redis.Nil) {
		h.errs.Inc()
	}
}

// DialHook counts connections that fail.
func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (c net.Conn, err error) {
		c, err = next(ctx, network, addr)
		h.failed(err)
		return c, err
	}
}

// ProcessHook counts commands that fail.
func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.failed(err)
		return err
	}
}

// ProcessPipelineHook counts pipelines that fail, once per pipeline.
func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.failed(err)
		return err
	}
}
