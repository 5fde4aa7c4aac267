package proxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/ssogate/ssogate/internal/tracing"
)

// BenchmarkProxyAuthenticatedTraced is BenchmarkProxyAuthenticated (groups=5) with
// tracing on, as main wires it (server span, session, rules and upstream spans),
// exporting over OTLP/HTTP to a collector on loopback that discards what it gets. Each
// request is a new trace, sampled at the given ratio; the exporter's work (batching,
// encoding, sending) runs in the same process and is part of the cost.
func BenchmarkProxyAuthenticatedTraced(b *testing.B) {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer collector.Close()
	for _, ratio := range []string{"0.1", "1"} {
		b.Run(fmt.Sprintf("sampled=%s", ratio), func(b *testing.B) {
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
			b.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
			b.Setenv("OTEL_TRACES_SAMPLER_ARG", ratio)
			tr, err := tracing.Setup(b.Context(), os.LookupEnv, "bench")
			if err != nil || !tr.On() {
				b.Fatalf("tracing: %v", err)
			}
			defer func() { _ = tr.Shutdown(b.Context()) }()
			bg := newBenchGateway(b, 5, true)
			h := tr.Handler(bg.gw, func(r *http.Request) string { return r.Method + " " + RouteClass(r.URL.Path) })
			r := bg.request("/")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || w.Body.Len() != len(benchBody) {
					b.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
				}
				asSent(r)
			}
		})
	}
}
