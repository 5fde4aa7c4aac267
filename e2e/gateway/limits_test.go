package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// bodyDeadline is the gateway's read deadline for requests it answers itself
// (proxy.bodyReadTimeout).
const bodyDeadline = 10 * time.Second

// startLimitedGateway starts the binary in front of a plain upstream; the IdP's port
// is closed, which the requests here never need.
func startLimitedGateway(t *testing.T) *testenv.Gateway {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "read %d bytes\n", n)
	}))
	t.Cleanup(up.Close)
	return testenv.StartGateway(t, builder.Build(t), map[string]string{
		"OIDC_ISSUER": "http://" + testenv.FreeAddr(t), "OIDC_CLIENT_ID": "gw", "UPSTREAM_URL": up.URL,
		"PUBLIC_PATHS": "/public/",
	})
}

// metric reads one unlabelled sample from the gateway's /metrics.
func metric(t *testing.T, gw *testenv.Gateway, name string) float64 {
	t.Helper()
	resp, body := testenv.Fetch(t, testenv.NewClient(t, false), gw.OpsURL+"/metrics", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// dial opens a raw connection to the gateway's public listener.
func dial(t *testing.T, gw *testenv.Gateway) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(gw.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOversizedBodiesAnd431Headers(t *testing.T) {
	gw := startLimitedGateway(t)

	t.Run("20 MiB form_post", func(t *testing.T) {
		c := dial(t, gw)
		const size = 20 << 20
		fmt.Fprintf(c, "POST /oidc/callback HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", size)
		go func() { // the rest of the body, for as long as the gateway reads
			chunk := []byte(strings.Repeat("a", 64<<10))
			for sent := 0; sent < size; sent += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
			t.Fatalf("20 MiB form_post: %d, Connection close %v; want 413 and close", resp.StatusCode, resp.Close)
		}
	})

	t.Run("100 KiB Cookie header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, gw.URL+"/app", nil)
		req.Header.Set("Cookie", "big="+strings.Repeat("x", 100<<10))
		resp, err := testenv.NewClient(t, false).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("100 KiB Cookie: %d, want 431", resp.StatusCode)
		}
	})

	t.Run("a long upload through the proxy is not cut", func(t *testing.T) {
		c := dial(t, gw)
		const size = 1 << 20
		fmt.Fprintf(c, "POST /public/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n", size)
		// Slower than the gateway's own deadline: 16 pieces over about 12 s.
		piece := []byte(strings.Repeat("b", size/16))
		for range 16 {
			if _, err := c.Write(piece); err != nil {
				t.Fatalf("upload cut after the deadline: %v", err)
			}
			time.Sleep(bodyDeadline / 13) // pacing the upload is the point, not synchronisation
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf("read %d bytes", size)) {
			t.Fatalf("slow upload through the proxy: %d %q; want 200 with every byte", resp.StatusCode, body)
		}
	})
}

// TestBodiesThatNeverArriveAreCut: twice, 3,000 connections send a request's headers,
// announce 60,000 bytes of body and send none, to the callback, back-channel logout
// and an application path. The gateway answers and closes every one within its read
// deadline, its open files and goroutines come back, and RSS stays flat.
func TestBodiesThatNeverArriveAreCut(t *testing.T) {
	gw := startLimitedGateway(t)
	fdsBefore, rssBefore := metric(t, gw, "process_open_fds"), metric(t, gw, "process_resident_memory_bytes")
	goBefore := metric(t, gw, "go_goroutines")
	rss := make([]float64, 2)
	for wave := range 2 {
		start := time.Now()
		closed, fdsHeld, rssHeld := holdUnsentBodies(t, gw, 3000)
		took := time.Since(start)
		fdsAfter, goAfter := metric(t, gw, "process_open_fds"), metric(t, gw, "go_goroutines")
		rss[wave] = settledRSS(t, gw, rssBefore)
		t.Logf("wave %d: 3000 connections, %d closed by the gateway in %s; open fds %.0f -> %.0f held -> %.0f after; goroutines %.0f -> %.0f; RSS %.1f -> %.1f held -> %.1f MiB after",
			wave+1, closed, took.Round(time.Millisecond), fdsBefore, fdsHeld, fdsAfter, goBefore, goAfter,
			rssBefore/(1<<20), rssHeld/(1<<20), rss[wave]/(1<<20))
		if closed != 3000 {
			t.Fatalf("%d of 3000 connections closed by the gateway, want all", closed)
		}
		if took > bodyDeadline+15*time.Second {
			t.Errorf("closing them took %s, want within the %s deadline (plus margin)", took, bodyDeadline)
		}
		if fdsAfter > fdsBefore+20 || goAfter > goBefore+20 {
			t.Errorf("after the wave: %.0f open fds, %.0f goroutines; want back near %.0f, %.0f", fdsAfter, goAfter, fdsBefore, goBefore)
		}
	}
	// While held, each connection costs its goroutine and buffers (about 20 KiB), for
	// at most the deadline; once the flood is over the gateway gives that memory back
	// (memlimit.Releaser), so RSS returns to where it started.
	for wave, after := range rss {
		if grown := (after - rssBefore) / (1 << 20); grown > rssSlack {
			t.Errorf("RSS %.1f MiB after wave %d, %.1f MiB above the %.1f MiB before it; want within %d MiB (the flood's memory given back)",
				after/(1<<20), wave+1, grown, rssBefore/(1<<20), rssSlack)
		}
	}
}

// rssSlack is how far above its starting RSS the gateway may stay once a flood of
// connections is over: heap the runtime keeps for its next allocations.
const rssSlack = 24

// settledRSS reads the gateway's RSS until it is within rssSlack MiB of before, for up
// to 10 s (the memory is given back on a goroutine once the connections are closed),
// and returns the last reading.
func settledRSS(t *testing.T, gw *testenv.Gateway, before float64) float64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rss := metric(t, gw, "process_resident_memory_bytes")
		if rss-before <= rssSlack<<20 || time.Now().After(deadline) {
			return rss
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// holdUnsentBodies opens n connections that announce a body and never send it, to
// the gateway's own POST endpoints and an application path, and waits for the
// gateway to answer and close each. It returns how many it closed, and the open files
// and RSS while they were held.
func holdUnsentBodies(t *testing.T, gw *testenv.Gateway, n int) (closed int64, fdsHeld, rssHeld float64) {
	t.Helper()
	paths := []string{"/oidc/callback", "/oidc/backchannel-logout", "/app/upload"}
	var count atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		c := dial(t, gw)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n", paths[i%len(paths)])
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(bodyDeadline + 20*time.Second))
			br := bufio.NewReader(c)
			if resp, err := http.ReadResponse(br, nil); err == nil {
				resp.Body.Close()
			}
			if _, err := io.Copy(io.Discard, br); err == nil { // EOF: the gateway closed it
				count.Add(1)
			}
		}()
	}
	time.Sleep(2 * time.Second) // let the held connections settle before sampling
	fdsHeld, rssHeld = metric(t, gw, "process_open_fds"), metric(t, gw, "process_resident_memory_bytes")
	wg.Wait()
	return count.Load(), fdsHeld, rssHeld
}

// TestSlowlorisDoesNotDelayOthers: 200 connections trickle their headers one byte a
// second; meanwhile an ordinary request is answered in its usual time, and the
// gateway cuts the trickling ones at its header deadline.
func TestSlowlorisDoesNotDelayOthers(t *testing.T) {
	const conns = 200
	gw := startLimitedGateway(t)
	client := testenv.NewClient(t, false)
	timeOne := func() time.Duration {
		start := time.Now()
		resp, _ := testenv.Fetch(t, client, gw.URL+"/oidc/jwks.json", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/oidc/jwks.json: %d", resp.StatusCode)
		}
		return time.Since(start)
	}
	var usual time.Duration
	for range 10 {
		usual = max(usual, timeOne())
	}
	var cut atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		c := dial(t, gw)
		fmt.Fprintf(c, "GET /app HTTP/1.1\r\nHost: gw\r\n")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 { // a header byte a second, for at most 30 s
				if _, err := c.Write([]byte("X")); err != nil {
					cut.Add(1)
					return
				}
				time.Sleep(time.Second) // the trickle's pace
			}
		}()
	}
	var worst time.Duration
	for range 20 {
		worst = max(worst, timeOne())
	}
	wg.Wait()
	t.Logf("usual %s, worst %s during %d slowloris connections; %d cut", usual, worst, conns, cut.Load())
	if worst > max(10*usual, 500*time.Millisecond) {
		t.Errorf("an ordinary request took %s during slowloris, usual %s", worst, usual)
	}
	if cut.Load() != conns {
		t.Errorf("%d of %d slowloris connections cut, want all", cut.Load(), conns)
	}
}
