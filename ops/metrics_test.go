package ops

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestMetricsEndpointExposesCounters(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Requests.WithLabelValues("upstream", "200").Inc()
	m.Requests.WithLabelValues("upstream", "200").Inc()
	m.SignIns.WithLabelValues("failure", "nonce").Inc()
	m.TokenFailures.WithLabelValues("expired").Inc()
	m.JWKSRefreshes.Inc()
	m.ActiveSessions.Set(3)
	m.Upstream(http.StatusNotFound, 200*time.Millisecond)

	rec := get(t, New(Options{Registry: reg}).Handler(), http.MethodGet, "/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`ssogate_http_requests_total{code="200",route_class="upstream"} 2`,
		`ssogate_sign_ins_total{outcome="failure",reason="nonce"} 1`,
		`ssogate_token_failures_total{reason="expired"} 1`,
		`ssogate_jwks_refreshes_total 1`,
		`ssogate_active_sessions 3`,
		`ssogate_upstream_request_duration_seconds_count{code="404"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestMetricNamesArePrefixed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	// Vectors only appear once a label set is used.
	m.Requests.WithLabelValues("sign_in", "302").Inc()
	m.SignIns.WithLabelValues("success", "ok").Inc()
	m.TokenFailures.WithLabelValues("nonce").Inc()
	m.Upstream(http.StatusOK, time.Millisecond)
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather error: %v", err)
	}
	if got, want := len(families), 6; got != want {
		t.Errorf("metric families: got %d, want %d", got, want)
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "ssogate_") {
			t.Errorf("metric %q: want the ssogate_ prefix", f.GetName())
		}
	}
}

func TestMetricsRoute(t *testing.T) {
	tests := []struct {
		name       string
		reg        *prometheus.Registry
		wantStatus int
		want       string
	}{
		{"no registry", nil, http.StatusNotFound, ""},
		{"standard registry", NewRegistry(), http.StatusOK, "go_goroutines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, New(Options{Registry: tt.reg}).Handler(), http.MethodGet, "/metrics")
			if rec.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", rec.Code, tt.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("body lacks %q", tt.want)
			}
		})
	}
}

// TestNewMetricsWithoutRegistry: a nil registerer must not fall back to a global
// registry, or a second call would panic with a duplicate registration.
func TestNewMetricsWithoutRegistry(t *testing.T) {
	for i := range 2 {
		m := NewMetrics(nil)
		m.JWKSRefreshes.Inc()
		m.Requests.WithLabelValues("gateway", "200").Inc()
		var out dto.Metric
		if err := m.JWKSRefreshes.Write(&out); err != nil {
			t.Fatalf("call %d: Write error: %v", i+1, err)
		}
		if got := out.GetCounter().GetValue(); got != 1 {
			t.Errorf("call %d: JWKSRefreshes got %v, want 1", i+1, got)
		}
	}
}

func TestUnknownLabelValuesCountAsOther(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.SignIn("failure", "idp_made_up_by_a_client")
	m.SignIn("whatever", "nonce")
	m.TokenFailure("not a reason")
	m.Request("/some/path", 1000)
	m.Upstream(42, time.Second)
	rec := get(t, New(Options{Registry: reg}).Handler(), http.MethodGet, "/metrics")
	body := rec.Body.String()
	for _, want := range []string{
		`ssogate_sign_ins_total{outcome="failure",reason="other"} 1`,
		`ssogate_sign_ins_total{outcome="other",reason="nonce"} 1`,
		`ssogate_token_failures_total{reason="other"} 1`,
		`ssogate_http_requests_total{code="other",route_class="other"} 1`,
		`ssogate_upstream_request_duration_seconds_count{code="other"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "made_up") {
		t.Errorf("/metrics carries a client's label value:\n%s", body)
	}
}

// TestRequestMetricsAllocateNothing: the request counter and the upstream histogram
// are fed on every request, so labelling them (the status code too) must not allocate
// once a series exists.
func TestRequestMetricsAllocateNothing(t *testing.T) {
	m := NewMetrics(nil)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Request", func() { m.Request("upstream", http.StatusOK) }},
		{"Upstream", func() { m.Upstream(http.StatusNotFound, time.Millisecond) }},
		{"Upstream, no status", func() { m.Upstream(0, time.Millisecond) }},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, got)
		}
	}
}

// TestRequestSeriesCountEveryCall: the series Request and Upstream keep at hand
// count every call, and values that label as "other" share that one series.
func TestRequestSeriesCountEveryCall(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	for range 3 {
		m.Request("upstream", http.StatusOK)
		m.Upstream(http.StatusOK, time.Millisecond)
	}
	m.Request("/a", 700)
	m.Request("/b", 0)
	m.Upstream(700, time.Millisecond)
	m.Upstream(0, time.Millisecond)
	body := get(t, New(Options{Registry: reg}).Handler(), http.MethodGet, "/metrics").Body.String()
	for _, want := range []string{
		`ssogate_http_requests_total{code="200",route_class="upstream"} 3`,
		`ssogate_http_requests_total{code="other",route_class="other"} 2`,
		`ssogate_upstream_request_duration_seconds_count{code="200"} 3`,
		`ssogate_upstream_request_duration_seconds_count{code="other"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
