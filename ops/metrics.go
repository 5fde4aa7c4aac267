package ops

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the gateway's Prometheus collectors. Every name starts with "ssogate_".
// Keep label values to small fixed sets (never user names, paths or error text).
type Metrics struct {
	// Requests counts requests on the public listener by route_class (upstream,
	// forward_auth, sign_in, logout, gateway) and status code.
	Requests *prometheus.CounterVec
	// UpstreamLatency observes how long proxied requests take, in seconds, until the
	// response (or stream) ends, by the status code the client got: the upstream's, or
	// the gateway's 502 when the upstream could not be reached (Upstream).
	UpstreamLatency *prometheus.HistogramVec
	// SignIns counts sign-ins by outcome ("success", "failure") and a short reason
	// (e.g. "ok", "idp_access_denied", "nonce", "state_mismatch", "replayed").
	SignIns *prometheus.CounterVec
	// TokenFailures counts rejected ID, bearer and logout tokens by reason
	// (e.g. "signature", "expired", "issuer", "audience", "nonce").
	TokenFailures *prometheus.CounterVec
	// JWKSRefreshes counts fetches of the IdP's JWKS.
	JWKSRefreshes prometheus.Counter
	// ActiveSessions is the number of live sessions, where the session store can count them.
	ActiveSessions prometheus.Gauge
	// IdPLatency observes each HTTP call to the identity provider by call (IdPCalls)
	// and outcome (IdPOutcomes), in seconds (InstrumentIdP).
	IdPLatency *prometheus.HistogramVec
	// RedisErrors counts failed Redis commands and connections by store
	// (RedisStores); a missing key is not an error (RedisHook).
	RedisErrors *prometheus.CounterVec
	// GroupLookups counts sign-in look-ups of groups the ID token lacked, by source
	// (graph, userinfo) and outcome (ok, denied, unavailable, mismatch).
	GroupLookups *prometheus.CounterVec

	codes []string // the code label of each status from 100 to 599 (statusLabel)
	// requestSeries and upstreamSeries hold the series Request and Upstream have
	// used, by route class and code label (classIndex, codeIndex), so that counting a
	// request does not hash and look up its labels again.
	requestSeries  [len(routeClasses) + 1][codeLabels]atomic.Pointer[counterSeries]
	upstreamSeries [codeLabels]atomic.Pointer[observerSeries]
}

// counterSeries and observerSeries hold one series, for an atomic.Pointer.
type (
	counterSeries  struct{ prometheus.Counter }
	observerSeries struct{ prometheus.Observer }
)

// NewMetrics creates the gateway's collectors and registers them with reg. A nil reg
// leaves them unregistered, which suits tests of other packages. Like MustRegister, it
// panics when the collectors are already registered with reg: create Metrics once.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssogate_http_requests_total",
			Help: "Requests on the public listener by route class and status code.",
		}, []string{"route_class", "code"}),
		UpstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ssogate_upstream_request_duration_seconds",
			Help:    "Proxied requests until the upstream's response has been passed on, by status code (502: the upstream could not be reached).",
			Buckets: prometheus.DefBuckets,
		}, []string{"code"}),
		SignIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssogate_sign_ins_total",
			Help: "Completed logins by outcome (success, denied, failed) and reason.",
		}, []string{"outcome", "reason"}),
		TokenFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssogate_token_failures_total",
			Help: "Tokens rejected during verification, by reason.",
		}, []string{"reason"}),
		JWKSRefreshes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ssogate_jwks_refreshes_total",
			Help: "Fetches of the identity provider's JWKS.",
		}),
		ActiveSessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ssogate_active_sessions",
			Help: "Live sessions, where the session store can count them.",
		}),
		IdPLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ssogate_idp_request_duration_seconds",
			Help:    "HTTP calls to the identity provider by call (discovery, jwks, token, refresh, userinfo, other) and outcome (ok, http_error, error).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"call", "outcome"}),
		RedisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssogate_redis_errors_total",
			Help: "Failed Redis commands and connections by store (session, revocation).",
		}, []string{"store"}),
		GroupLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ssogate_group_lookups_total",
			Help: "Look-ups of groups an ID token lacked (Microsoft Graph, userinfo), by source and outcome.",
		}, []string{"source", "outcome"}),
		codes: statusLabels(),
	}
	if reg != nil {
		reg.MustRegister(m.collectors()...)
	}
	return m
}

// collectors lists every collector of m.
func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Requests, m.UpstreamLatency, m.SignIns, m.TokenFailures, m.JWKSRefreshes,
		m.ActiveSessions, m.IdPLatency, m.RedisErrors, m.GroupLookups}
}

// NewRegistry returns a registry holding the standard Go runtime and process collectors,
// ready for NewMetrics and Options.Registry.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}
