package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestUpstreamLatencyByStatusInTheBinary: the binary's upstream histogram is labelled
// with the status each proxied request got from the upstream.
func TestUpstreamLatencyByStatusInTheBinary(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/public/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(up.Close)
	gw := testenv.StartGateway(t, builder.Build(t), map[string]string{
		"OIDC_ISSUER": "http://" + testenv.FreeAddr(t), "OIDC_CLIENT_ID": "gw", "UPSTREAM_URL": up.URL,
		"PUBLIC_PATHS": "/public/",
	})
	c := testenv.NewClient(t, false)
	for path, want := range map[string]int{"/public/page": http.StatusOK, "/public/missing": http.StatusNotFound} {
		if resp, _ := testenv.Fetch(t, c, gw.URL+path, nil, nil); resp.StatusCode != want {
			t.Fatalf("GET %s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	want := []string{
		`ssogate_upstream_request_duration_seconds_count{code="200"} 1`,
		`ssogate_upstream_request_duration_seconds_count{code="404"} 1`,
	}
	// The histogram is fed as each request ends, which the client may see first.
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, body = testenv.Fetch(t, c, gw.OpsURL+"/metrics", nil, nil)
		if strings.Contains(body, want[0]) && strings.Contains(body, want[1]) {
			return
		}
	}
	t.Errorf("/metrics lacks %q; its upstream histogram:\n%s", want, grep(body, "ssogate_upstream_request_duration_seconds_count"))
}

// grep returns the lines of text that contain s.
func grep(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
