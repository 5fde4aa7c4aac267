package tracing_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/internal/tracing/tracingtest"
)

const (
	incomingTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingParent = "00f067aa0ba902b7"
)

// setup starts tracing that exports to a fresh receiver; the SDK reads the process
// environment, so the test sets it.
func setup(t *testing.T, env map[string]string) (*tracing.Tracing, *tracingtest.Receiver) {
	rcv := tracingtest.Start(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	for k, v := range env {
		t.Setenv(k, v)
	}
	tr, err := tracing.Setup(t.Context(), os.LookupEnv, "v-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Shutdown(t.Context()) })
	return tr, rcv
}

// TestSpansContinueTheIncomingTrace: the server span continues the client's
// traceparent, a child span hangs under it, the upstream receives the child's
// context, and the resource names the service as the variables say.
func TestSpansContinueTheIncomingTrace(t *testing.T) {
	tr, rcv := setup(t, map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test,service.name=ignored"})
	var upstreamSaw string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamSaw = r.Header.Get("Traceparent")
	}))
	defer upstream.Close()
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tracing.StartClient(r.Context(), "upstream")
		defer span.End()
		out, _ := http.NewRequestWithContext(ctx, http.MethodGet, upstream.URL, nil)
		out.Header.Set("Traceparent", "00-11111111111111111111111111111111-2222222222222222-01") // the client's, replaced
		tracing.Inject(ctx, out.Header)
		resp, err := http.DefaultClient.Do(out)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}), func(r *http.Request) string { return r.Method + " upstream" })

	req := httptest.NewRequest(http.MethodGet, "/app?code=secret-code", nil)
	req.Header.Set("Traceparent", "00-"+incomingTrace+"-"+incomingParent+"-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	spans := rcv.WaitFor(t, 5*time.Second, "server and upstream spans", func(s []tracingtest.Span) bool { return len(s) >= 2 })
	server, child := tracingtest.Named(spans, "GET upstream"), tracingtest.Named(spans, "upstream")
	if len(server) != 1 || len(child) != 1 {
		t.Fatalf("want one GET upstream and one upstream span, got %d and %d", len(server), len(child))
	}
	if server[0].TraceID() != incomingTrace || server[0].ParentID() != incomingParent {
		t.Errorf("server span: trace %s parent %s; want the incoming %s/%s", server[0].TraceID(), server[0].ParentID(), incomingTrace, incomingParent)
	}
	if child[0].TraceID() != incomingTrace || child[0].ParentID() != server[0].SpanID() {
		t.Errorf("upstream span: trace %s parent %s; want %s under the server span %s", child[0].TraceID(), child[0].ParentID(), incomingTrace, server[0].SpanID())
	}
	if want := "00-" + incomingTrace + "-" + child[0].SpanID() + "-01"; upstreamSaw != want {
		t.Errorf("upstream got traceparent %q, want %q", upstreamSaw, want)
	}
	if got := server[0].Attr("url.path"); got != "/app" {
		t.Errorf("url.path = %q, want /app", got)
	}
	for _, text := range server[0].Texts() {
		if strings.Contains(text, "secret-code") {
			t.Errorf("the query string reached the span: %q", text)
		}
	}
	res := server[0].Resource
	if res["service.name"] != "ignored" || res["deployment.environment.name"] != "test" || res["service.version"] != "v-test" {
		t.Errorf("resource %v: want OTEL_RESOURCE_ATTRIBUTES over the defaults", res)
	}
}

// TestServiceNameDefaultsAndSampler: without OTEL_SERVICE_NAME the service is
// ssogate; OTEL_SERVICE_NAME wins; always_off records nothing while the upstream
// still gets the trace context.
func TestServiceNameAndSampler(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		tr, rcv := setup(t, nil)
		tr.Handler(http.NotFoundHandler(), func(*http.Request) string { return "GET gateway" }).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
		spans := rcv.WaitFor(t, 5*time.Second, "a span", func(s []tracingtest.Span) bool { return len(s) > 0 })
		if got := spans[0].Resource["service.name"]; got != tracing.ServiceName {
			t.Errorf("service.name = %q, want %q", got, tracing.ServiceName)
		}
	})
	t.Run("OTEL_SERVICE_NAME", func(t *testing.T) {
		tr, rcv := setup(t, map[string]string{"OTEL_SERVICE_NAME": "edge-gw", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"})
		tr.Handler(http.NotFoundHandler(), func(*http.Request) string { return "GET gateway" }).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
		spans := rcv.WaitFor(t, 5*time.Second, "a span", func(s []tracingtest.Span) bool { return len(s) > 0 })
		if got := spans[0].Resource["service.name"]; got != "edge-gw" {
			t.Errorf("service.name = %q, want edge-gw", got)
		}
	})
	t.Run("always_off", func(t *testing.T) {
		tr, rcv := setup(t, map[string]string{"OTEL_TRACES_SAMPLER": "always_off"})
		var injected http.Header = http.Header{}
		tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, span := tracing.Start(r.Context(), "child")
			span.End()
			tracing.Inject(r.Context(), injected)
		}), func(*http.Request) string { return "GET gateway" }).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
		if err := tr.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.Spans()); n != 0 {
			t.Errorf("always_off exported %d spans", n)
		}
		if tp := injected.Get("Traceparent"); !strings.HasSuffix(tp, "-00") {
			t.Errorf("traceparent for the upstream = %q, want an unsampled one", tp)
		}
	})
}

// TestLogLinesCarryTheTrace: a line logged inside a sampled span has its IDs.
func TestLogLinesCarryTheTrace(t *testing.T) {
	tr, _ := setup(t, nil)
	var buf strings.Builder
	logger := slog.New(tr.LogHandler(slog.NewJSONHandler(&buf, nil)))
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("Traceparent", "00-"+incomingTrace+"-"+incomingParent+"-01")
	tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "request")
	}), func(*http.Request) string { return "GET gateway" }).ServeHTTP(httptest.NewRecorder(), req)
	logger.Info("no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"trace_id":"`+incomingTrace+`"`) || !strings.Contains(lines[0], `"span_id":"`) {
		t.Fatalf("the request's line has no trace_id/span_id:\n%s", buf.String())
	}
	if strings.Contains(lines[1], "trace_id") {
		t.Errorf("a line outside any trace has a trace_id: %s", lines[1])
	}
}
