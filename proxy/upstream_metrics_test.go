package proxy

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/ops"
)

// upstreamObservations returns how many requests ssogate_upstream_request_duration_seconds
// observed, by its code label.
func upstreamObservations(t *testing.T, reg *prometheus.Registry) map[string]uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]uint64{}
	for _, f := range families {
		if f.GetName() != "ssogate_upstream_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "code" {
					out[l.GetValue()] = m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return out
}

// TestUpstreamLatencyByStatus: the upstream histogram is labelled with the status the
// client got, the upstream's own (200, 404, on a signed-in request or a public path)
// or the gateway's 502 when the upstream is down, as main wires the hook.
func TestUpstreamLatencyByStatus(t *testing.T) {
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" || r.URL.Path == "/public/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	for _, tc := range []struct {
		name    string
		fixture fixtureOptions
		signIn  bool
		path    string
		want    int
	}{
		{"200 from the upstream", fixtureOptions{upstream: upstream}, true, "/runs", http.StatusOK},
		{"404 from the upstream", fixtureOptions{upstream: upstream}, true, "/missing", http.StatusNotFound},
		{"404 on a public path", fixtureOptions{upstream: upstream, publicPaths: []string{"/public/"}}, false, "/public/missing", http.StatusNotFound},
		{"502 with the upstream down", fixtureOptions{}, true, "/runs", http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := ops.NewMetrics(reg)
			tc.fixture.hooks = Hooks{Upstream: m.Upstream}
			if tc.want == http.StatusBadGateway {
				tc.fixture.upstreamURL = mustParse(t, "http://"+testenv.FreeAddr(t))
			}
			f := newFixture(t, tc.fixture)
			b := f.browser()
			if tc.signIn {
				b.signIn("/")
			}
			before := upstreamObservations(t, reg)
			resp, body := b.api(tc.path)
			if resp.StatusCode != tc.want {
				t.Fatalf("GET %s: status %d, want %d; body %q", tc.path, resp.StatusCode, tc.want, body)
			}
			// The access line comes after the hook ran.
			rid := resp.Header.Get("X-Request-Id")
			f.logs.waitFor(t, AccessLogMessage, func(r map[string]any) bool { return r["request_id"] == rid })
			after := upstreamObservations(t, reg)
			code := "" // the label whose count changed
			for label, n := range after {
				if n != before[label] {
					if code != "" {
						t.Errorf("observations changed under code %q and %q, want only %d", code, label, tc.want)
					}
					code = label
					if n-before[label] != 1 {
						t.Errorf("code %q: %d new observations, want 1", label, n-before[label])
					}
				}
			}
			if want := strconv.Itoa(tc.want); code != want {
				t.Errorf("the request was observed under code %q, want %q (observations %v)", code, want, after)
			}
		})
	}
}
