package proxy

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// An upstream that closes each kept-alive connection as soon as it is idle, as
// one with a short keep-alive timeout does between two requests: every request
// still gets its answer, and reaches the upstream exactly once.
func TestUpstreamClosingIdleConnectionsLosesNoRequest(t *testing.T) {
	var conns atomic.Int64
	f := newFixture(t, fixtureOptions{upstreamConnState: func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateIdle:
			c.Close()
		}
	}})
	b := f.browser()
	b.signIn("/")
	before := f.hits.Load()
	const n = 20
	for i := range n {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp, body := b.do(b.request(method, "/app", "application/json", nil))
			if resp.StatusCode != http.StatusOK || (method == http.MethodGet && decodeEcho(t, body).Header.Get(HeaderUser) == "") {
				t.Fatalf("%s %d: %d %q, want 200 from the upstream with the user", method, i, resp.StatusCode, body)
			}
		}
	}
	if got := f.hits.Load() - before; got != 2*n {
		t.Fatalf("the upstream answered %d requests, want %d (each once)", got, 2*n)
	}
	if c := conns.Load(); c < 2*n {
		t.Fatalf("the upstream saw %d connections for %d requests that each closed theirs", c, 2*n)
	}
}
