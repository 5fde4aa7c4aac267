package ops

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
)

func TestIdPLatencyByCallAndOutcome(t *testing.T) {
	m := NewMetrics(nil)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer idp.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	c := &http.Client{Transport: InstrumentIdP(http.DefaultTransport, m, func(r *http.Request) string { return r.Header.Get("X-Call") })}
	for _, call := range []struct{ url, name string }{
		{idp.URL + "/.well-known/openid-configuration", "discovery"},
		{idp.URL + "/jwks", "jwks"},
		{idp.URL + "/token", "token"},
		{gone.URL + "/jwks", "jwks"},
		{idp.URL + "/x", "made-up"},
	} {
		req, _ := http.NewRequest(http.MethodGet, call.url, nil)
		req.Header.Set("X-Call", call.name)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	for _, want := range []struct {
		call, outcome string
		n             int
	}{{"discovery", "ok", 1}, {"jwks", "ok", 1}, {"jwks", "error", 1}, {"token", "http_error", 1}, {"other", "ok", 1}, {"token", "ok", 0}} {
		h := m.IdPLatency.WithLabelValues(want.call, want.outcome).(prometheus.Histogram)
		if got := histogramCount(t, h); got != want.n {
			t.Errorf("%s/%s: %d observations, want %d", want.call, want.outcome, got, want.n)
		}
	}
}

func histogramCount(t *testing.T, h prometheus.Histogram) int {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	h.Collect(ch)
	pb := new(dto.Metric)
	if err := (<-ch).Write(pb); err != nil {
		t.Fatal(err)
	}
	return int(pb.GetHistogram().GetSampleCount())
}

func TestRedisHookCountsErrorsNotMisses(t *testing.T) {
	m := NewMetrics(nil)
	hook := RedisHook(m, "session")
	results := []error{nil, redis.Nil, errors.New("dial tcp: connection refused"), context.DeadlineExceeded}
	for _, res := range results {
		_ = hook.ProcessHook(func(context.Context, redis.Cmder) error { return res })(t.Context(), redis.NewStringCmd(t.Context(), "get", "k"))
	}
	_ = hook.ProcessPipelineHook(func(context.Context, []redis.Cmder) error { return errors.New("i/o timeout") })(t.Context(), nil)
	if got := testutil.ToFloat64(m.RedisErrors.WithLabelValues("session")); got != 3 {
		t.Errorf("session errors = %v, want 3 (a miss is not an error)", got)
	}
	RedisHook(m, "anything else")
	if got := testutil.CollectAndCount(m.RedisErrors); got != 2 {
		t.Errorf("%d series, want 2 (session, other): the store label is a fixed set", got)
	}
}

func TestReadinessMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := New(Options{Registry: reg, Checks: []Check{
		{Name: "settings", Func: func(context.Context) error { return nil }},
		{Name: "idp", Func: func(context.Context) error { return errors.New("discovery not loaded") }},
	}})
	body := get(t, srv.Handler(), http.MethodGet, "/metrics").Body.String()
	for _, want := range []string{"ssogate_ready 0", `ssogate_ready_check{check="idp"} 0`, `ssogate_ready_check{check="settings"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	srv = New(Options{Registry: prometheus.NewRegistry(), Checks: []Check{{Name: "idp", Func: func(context.Context) error { return nil }}}})
	if body := get(t, srv.Handler(), http.MethodGet, "/metrics").Body.String(); !strings.Contains(body, "ssogate_ready 1") {
		t.Errorf("all checks pass but /metrics lacks ssogate_ready 1:\n%s", body)
	}
}

// TestDocumentedMetricsAreTheRegistered pins docs/metrics.md's table to the metrics
// the gateway registers, with their labels: the deployment check trusts that table for
// the names and labels the dashboard and the alerts may use.
func TestDocumentedMetricsAreTheRegistered(t *testing.T) {
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	label := regexp.MustCompile("`([a-z_]+)`")
	for _, m := range regexp.MustCompile("(?m)^\\| `(ssogate_[a-z_]+)` \\| [a-z]+ \\| ([^|]*) \\|").FindAllStringSubmatch(string(doc), -1) {
		var labels []string
		for _, l := range label.FindAllStringSubmatch(m[2], -1) {
			labels = append(labels, l[1])
		}
		documented = append(documented, m[1]+"{"+strings.Join(labels, ",")+"}")
	}
	descs := make(chan *prometheus.Desc, 100)
	go func() {
		for _, c := range NewMetrics(nil).collectors() {
			c.Describe(descs)
		}
		readinessCollector{}.Describe(descs)
		close(descs)
	}()
	var registered []string
	desc := regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)
	for d := range descs {
		m := desc.FindStringSubmatch(d.String())
		registered = append(registered, m[1]+"{"+m[2]+"}")
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Errorf("docs/metrics.md documents %q\nthe gateway registers %q", documented, registered)
	}
}
