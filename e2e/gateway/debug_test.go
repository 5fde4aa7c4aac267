package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestDebugHandlersAreNeverServed: the binary links net/http/pprof (through chi's
// middleware package), expvar (through it and the Prometheus client) and
// golang.org/x/net/trace (through the OTLP exporter's gRPC), and each registers debug
// pages on http.DefaultServeMux when the process starts. Neither listener may ever
// serve that mux: the pages show the command line, memory and goroutine dumps, and run
// CPU profiles on request.
func TestDebugHandlersAreNeverServed(t *testing.T) {
	var upstreamHits atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamHits.Add(1)
		_, _ = w.Write([]byte("upstream"))
	}))
	t.Cleanup(up.Close)
	gw := testenv.StartGateway(t, builder.Build(t), map[string]string{
		"OIDC_ISSUER": "http://" + testenv.FreeAddr(t), "OIDC_CLIENT_ID": "gw", "UPSTREAM_URL": up.URL,
	})
	c := testenv.NewClient(t, false)
	paths := []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=2", "/debug/vars", "/debug/requests", "/debug/events"}
	for _, path := range paths {
		t.Run("ops"+path, func(t *testing.T) {
			resp, body := testenv.Fetch(t, c, gw.OpsURL+path, nil, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("ops listener GET %s: status %d, want 404; body starts %q", path, resp.StatusCode, head(body))
			}
		})
		t.Run("public"+path, func(t *testing.T) {
			// Without a session, a path that is not the gateway's own needs a sign-in: the
			// gateway answers itself (its request ID), and nothing reaches the upstream.
			before := upstreamHits.Load()
			resp, body := testenv.Fetch(t, c, gw.URL+path, nil, nil)
			if resp.StatusCode == http.StatusOK || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("public listener GET %s: status %d, X-Request-Id %q; want the gateway's own refusal or sign-in; body starts %q",
					path, resp.StatusCode, resp.Header.Get("X-Request-Id"), head(body))
			}
			for _, mark := range debugOutput {
				if strings.Contains(body, mark) {
					t.Errorf("public listener GET %s answered with debug output (%q): %q", path, mark, head(body))
				}
			}
			if upstreamHits.Load() != before {
				t.Errorf("public listener GET %s reached the upstream without a session", path)
			}
		})
	}
}

// debugOutput are marks of the debug pages' own output: pprof's index and goroutine
// dump, expvar's memory statistics, x/net/trace's page title.
var debugOutput = []string{"Types of profiles available", "goroutine 1 [", `"memstats":`, "<title>/debug/"}

// head is the start of body, for a failure message.
func head(body string) string {
	if len(body) > 120 {
		return body[:120]
	}
	return body
}
