package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRequestLoopRefused: an UPSTREAM_URL that leads back to the gateway (here
// through an ingress that routes to it) is answered 508 on the first return, with an
// error line naming the fix, instead of going round until the connections run out.
func TestRequestLoopRefused(t *testing.T) {
	var gateway atomic.Pointer[url.URL]
	var ingressHits atomic.Int64
	ingress := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ingressHits.Add(1)
		httputil.NewSingleHostReverseProxy(gateway.Load()).ServeHTTP(w, r)
	})
	f := newFixture(t, fixtureOptions{publicPaths: testPublicPaths, upstream: ingress})
	gateway.Store(mustParse(t, f.srv.URL))

	resp, body := rawGet(t, f, "/public/x", http.Header{"Accept": {"application/json"}})
	if resp.StatusCode != http.StatusLoopDetected {
		t.Fatalf("GET /public/x through a loop: status %d, want 508; body %s", resp.StatusCode, body)
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(body), &answer); err != nil || answer["error"] != "upstream_loop" {
		t.Errorf("body %s (%v), want error upstream_loop", body, err)
	}
	if n := ingressHits.Load(); n != 1 {
		t.Errorf("the request went through the ingress %d times, want 1", n)
	}
	loops := f.logs.records(t, "request loop: the gateway's own request came back to it")
	if len(loops) != 1 || loops[0]["level"] != "ERROR" || !strings.Contains(loops[0]["fix"].(string), "UPSTREAM_URL must be the application's own address") ||
		loops[0]["path"] != "/public/x" {
		t.Errorf("loop log lines %v, want one ERROR with the path and the fix", loops)
	}
}

// TestViaNamesTheGateway: the upstream sees the gateway in Via after the entries of
// the proxies before it, and a request another gateway sent is not taken for a loop.
func TestViaNamesTheGateway(t *testing.T) {
	f := newFixture(t, fixtureOptions{publicPaths: testPublicPaths})
	other := "1.1 ssogate-0123456789abcdef" // another gateway, in front of this one
	resp, body := rawGet(t, f, "/public/x", http.Header{"Via": {"1.1 corp-proxy", other}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /public/x: status %d, want 200; body %s", resp.StatusCode, body)
	}
	via := decodeEcho(t, body).Header["Via"]
	if len(via) != 3 || via[0] != "1.1 corp-proxy" || via[1] != other || via[2] != f.gw.via || !strings.HasPrefix(via[2], "1.1 ssogate-") || via[2] == other {
		t.Errorf("the upstream got Via %q, want the client's two entries, then this gateway's (%s)", via, f.gw.via)
	}
}
