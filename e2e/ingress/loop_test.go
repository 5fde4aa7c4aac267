package ingress

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestLoopThroughNginx: UPSTREAM_URL names an nginx that sends every request back to
// the gateway, a mistake the configuration cannot see. The gateway answers 508 when
// its request first comes back, instead of sending it round until the connections run
// out.
func TestLoopThroughNginx(t *testing.T) {
	bin := gateway.Build(t)
	gwAddr, nginxAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	gw := testenv.StartGateway(t, bin, map[string]string{
		"LISTEN_ADDR": gwAddr, "PUBLIC_URL": "http://" + gwAddr, "UPSTREAM_URL": "http://" + nginxAddr,
		// No sign-in on this path, so no provider is needed.
		"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": clientID, "PUBLIC_PATHS": "/public/",
	})
	runNginx(t, fmt.Sprintf("server {\n    listen %s;\n    location / { proxy_pass http://%s; }\n}\n", nginxAddr, gwAddr), nginxAddr)

	req, err := http.NewRequest(http.MethodGet, gw.URL+"/public/report", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET /public/report: %v\n%s", err, gw.Logs())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusLoopDetected || !strings.Contains(string(body), `"error":"upstream_loop"`) {
		t.Fatalf("GET /public/report through the loop: %d %s, want 508 upstream_loop\n%s", resp.StatusCode, body, gw.Logs())
	}
	loops := gw.WaitLogRecords(t, "the loop's error line", 1, 10*time.Second, func(rec map[string]any) bool {
		return rec["msg"] == "request loop: the gateway's own request came back to it"
	})
	if loops[0]["level"] != "ERROR" || loops[0]["path"] != "/public/report" || !strings.Contains(fmt.Sprint(loops[0]["fix"]), "UPSTREAM_URL") {
		t.Errorf("loop line %v, want an ERROR with the path and the fix", loops[0])
	}
	// The request went round once: the client's, and its return through nginx.
	lines := gw.WaitLogRecords(t, "two access lines", 2, 10*time.Second, func(rec map[string]any) bool {
		return rec["msg"] == "request" && rec["path"] == "/public/report"
	})
	for _, l := range lines {
		if l["status"] != float64(http.StatusLoopDetected) {
			t.Errorf("access line %v, want status 508", l)
		}
	}
	if n := len(testenv.LogRecords(gw.Logs(), func(rec map[string]any) bool { return rec["msg"] == "request" })); n != 2 {
		t.Errorf("%d access lines, want 2: one request and its one return\n%s", n, gw.Logs())
	}
}
