package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// upstream is a Transport to addr that counts its dials, with a fallback that
// records the requests it was given.
type upstream struct {
	*Transport
	dials    atomic.Int32
	fallback fallback
}

type fallback struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (f *fallback) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r)
	return &http.Response{StatusCode: http.StatusTeapot, Body: http.NoBody, Request: r}, nil
}

func newUpstream(t *testing.T, addr string, maxIdle int) *upstream {
	t.Helper()
	u := &upstream{}
	u.Transport = New(func(ctx context.Context) (net.Conn, error) {
		u.dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, &u.fallback, maxIdle, time.Minute)
	t.Cleanup(u.CloseIdleConnections)
	return u
}

func get(t *testing.T, rt http.RoundTripper, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return res, string(b)
}

func TestRequestsShareOneKeptConnection(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s ua=%q", r.Method, r.URL.RequestURI(), r.UserAgent())
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	u := newUpstream(t, srv.Listener.Addr().String(), 4)

	for i := range 5 {
		res, body := get(t, u, fmt.Sprintf("%s/p?i=%d", srv.URL, i))
		if want := fmt.Sprintf(`GET /p?i=%d ua="Go-http-client/1.1"`, i); res.StatusCode != 200 || body != want {
			t.Fatalf("request %d: %d %q, want 200 %q", i, res.StatusCode, body, want)
		}
		if n, err := res.Body.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("request %d: a read after the end got %d, %v, want io.EOF", i, n, err)
		}
	}
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/h", nil)
	res, err := u.RoundTrip(req)
	if err != nil || res.StatusCode != 200 || res.Body != http.NoBody {
		t.Fatalf("HEAD: %v, %v", res, err)
	}
	if _, body := get(t, u, srv.URL+"/after-head"); body != `GET /after-head ua="Go-http-client/1.1"` {
		t.Fatalf("GET after HEAD: %q", body)
	}
	if d, c := u.dials.Load(), conns.Load(); d != 1 || c != 1 {
		t.Fatalf("7 requests opened %d connections (server saw %d), want 1", d, c)
	}
	if n := len(u.fallback.reqs); n != 0 {
		t.Fatalf("fallback got %d requests, want 0", n)
	}
}

func TestOtherRequestsGoToTheFallback(t *testing.T) {
	u := newUpstream(t, "127.0.0.1:1", 4)
	mk := func(method, url, body string, h ...string) *http.Request {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, r)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		return req
	}
	reqs := []*http.Request{
		mk(http.MethodPost, "http://127.0.0.1:1/", "a body"),
		mk(http.MethodPost, "http://127.0.0.1:1/", ""),
		mk(http.MethodDelete, "http://127.0.0.1:1/", ""),
		mk(http.MethodGet, "http://127.0.0.1:1/", "a GET with a body"),
		mk(http.MethodGet, "http://127.0.0.1:1/ws", "", "Upgrade", "websocket", "Connection", "Upgrade"),
		mk(http.MethodGet, "https://127.0.0.1:1/", ""),
	}
	closing := mk(http.MethodGet, "http://127.0.0.1:1/", "")
	closing.Close = true
	reqs = append(reqs, closing)
	for _, req := range reqs {
		res, err := u.RoundTrip(req)
		if err != nil || res.StatusCode != http.StatusTeapot {
			t.Fatalf("%s %s (upgrade %q): %v %v, want the fallback's 418", req.Method, req.URL, req.Header.Get("Upgrade"), res, err)
		}
	}
	if n := len(u.fallback.reqs); n != len(reqs) || u.dials.Load() != 0 {
		t.Fatalf("fallback got %d of %d requests, %d dials", n, len(reqs), u.dials.Load())
	}
}

// rawServer accepts connections on loopback and hands each to serve.
func rawServer(t *testing.T, serve func(n int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(n, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequest reads one request from br, or returns nil once the client has
// closed the connection (the tests check what the client saw).
func readRequest(br *bufio.Reader) *http.Request {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil
	}
	return req
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func TestAClosedIdleConnectionIsTriedOnceAndReplaced(t *testing.T) {
	// The first connection answers one request and closes, as an upstream whose
	// keep-alive timeout ran out does; the second answers everything.
	addr := rawServer(t, func(n int, c net.Conn) {
		br := bufio.NewReader(c)
		for readRequest(br) != nil {
			io.WriteString(c, okResponse)
			if n == 0 {
				return
			}
		}
	})
	u := newUpstream(t, addr, 4)
	for i := range 3 {
		if res, body := get(t, u, "http://"+addr+"/"); res.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, res.StatusCode, body)
		}
	}
	if d := u.dials.Load(); d != 2 {
		t.Fatalf("dials = %d, want 2 (the closed connection replaced once)", d)
	}
}

func TestAFreshConnectionClosedBeforeAnAnswerIsAnError(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) {
		readRequest(bufio.NewReader(c))
	})
	u := newUpstream(t, addr, 4)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	res, err := u.RoundTrip(req)
	if err == nil {
		t.Fatalf("got %d, want an error", res.StatusCode)
	}
	if !errors.Is(err, io.EOF) || u.dials.Load() != 1 {
		t.Fatalf("err = %v after %d dials, want EOF after 1 (a new connection is not tried again)", err, u.dials.Load())
	}
}

func TestConnectionsNotReusedAfterAnUnfinishedExchange(t *testing.T) {
	responses := map[string]string{
		"/close":   "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
		"/extra":   okResponse + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale",
		"/unread":  "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
		"/no-len":  "HTTP/1.1 200 OK\r\n\r\nto the end",
		"/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"/101":     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\nConnection: Upgrade\r\n\r\n",
	}
	addr := rawServer(t, func(_ int, c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req := readRequest(br)
			if req == nil {
				return
			}
			io.WriteString(c, responses[req.URL.Path])
			if req.URL.Path == "/no-len" {
				return
			}
		}
	})
	for path, reused := range map[string]bool{"/close": false, "/extra": false, "/unread": false, "/no-len": false, "/chunked": true, "/101": false} {
		u := newUpstream(t, addr, 4)
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		res, err := u.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if path == "/unread" {
			res.Body.Close() // before its end
			if _, err := res.Body.Read(make([]byte, 1)); err == nil || err == io.EOF {
				t.Fatalf("a read after Close got %v, want an error", err)
			}
		} else {
			io.Copy(io.Discard, res.Body)
		}
		if _, body := get(t, u, "http://"+addr+"/close"); body != "ok" {
			t.Fatalf("after %s: the next answer is %q, want ok", path, body)
		}
		if got := u.dials.Load() == 1; got != reused {
			t.Errorf("after %s: dials = %d, want the connection reused: %v", path, u.dials.Load(), reused)
		}
	}
}

func TestCancellingTheRequestStopsItsBodyAndDropsTheConnection(t *testing.T) {
	sent := make(chan struct{})
	addr := rawServer(t, func(_ int, c net.Conn) {
		br := bufio.NewReader(c)
		for req := readRequest(br); req != nil; req = readRequest(br) {
			if req.URL.Path == "/ok" {
				io.WriteString(c, okResponse)
				continue
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part")
			close(sent)
			io.Copy(io.Discard, br) // never finishes the body
		}
	})
	u := newUpstream(t, addr, 4)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/slow", nil)
	res, err := u.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	<-sent
	buf := make([]byte, 10)
	if _, err := io.ReadFull(res.Body, buf); err != nil || string(buf) != "first part" {
		t.Fatalf("first part: %q, %v", buf, err)
	}
	cancel()
	if _, err := res.Body.Read(buf); err == nil {
		t.Fatal("the body went on after its request was cancelled")
	}
	res.Body.Close()
	if _, body := get(t, u, "http://"+addr+"/ok"); body != "ok" || u.dials.Load() != 2 {
		t.Fatalf("next request: %q after %d dials, want ok on a new connection", body, u.dials.Load())
	}

	// A request cancelled before it starts is not sent.
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/ok", nil)
	if _, err := u.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v, want context.Canceled", err)
	}
}

func TestInformationalResponsesReachTheTraceThenTheAnswer(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) {
		br := bufio.NewReader(c)
		if readRequest(br) == nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"+okResponse)
		if readRequest(br) == nil {
			return
		}
		io.WriteString(c, strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 6)+okResponse)
	})
	u := newUpstream(t, addr, 4)
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, fmt.Sprintf("%d %s", code, h.Get("Link")))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, "http://"+addr+"/", nil)
	res, err := u.RoundTrip(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	io.Copy(io.Discard, res.Body)
	if len(hints) != 1 || hints[0] != "103 </app.css>; rel=preload" {
		t.Fatalf("trace saw %q", hints)
	}
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if _, err := u.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "more than 5 informational") {
		t.Fatalf("six 103s: %v, want an error", err)
	}
}

func TestAnOversizedResponseHeaderIsRefused(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) {
		if readRequest(bufio.NewReader(c)) == nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Filler: " + strings.Repeat("a", 1000) + "\r\n"
		for range maxResponseHeader/len(line) + 2 {
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
	})
	u := newUpstream(t, addr, 4)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	if _, err := u.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "header over 1048576 bytes") {
		t.Fatalf("err = %v, want the header refused", err)
	}
}

func TestThePoolKeepsAtMostMaxIdleAndDropsStaleOnes(t *testing.T) {
	var closed []int
	mk := func(id int) *conn {
		a, b := net.Pipe()
		b.Close()
		return &conn{nc: closeRecorder{a, func() { closed = append(closed, id) }}}
	}
	p := pool{max: 2, timeout: time.Minute}
	t0 := time.Unix(1000, 0)
	p.put(mk(1), t0)
	p.put(mk(2), t0.Add(time.Second))
	p.put(mk(3), t0.Add(2*time.Second)) // over max: closed
	if fmt.Sprint(closed) != "[3]" || len(p.idle) != 2 {
		t.Fatalf("closed %v, %d idle", closed, len(p.idle))
	}
	if c := p.get(t0.Add(30 * time.Second)); c == nil || c.idle != t0.Add(time.Second) {
		t.Fatalf("get returned %v, want the most recently used", c)
	}
	if c := p.get(t0.Add(2 * time.Minute)); c != nil || fmt.Sprint(closed) != "[3 1]" {
		t.Fatalf("get after the timeout: %v, closed %v", c, closed)
	}
	p.put(mk(4), t0.Add(3*time.Minute))
	p.put(mk(5), t0.Add(5*time.Minute)) // sweeps 4
	if fmt.Sprint(closed) != "[3 1 4]" || len(p.idle) != 1 {
		t.Fatalf("after a sweep: closed %v, %d idle", closed, len(p.idle))
	}
	p.closeAll()
	if fmt.Sprint(closed) != "[3 1 4 5]" || len(p.idle) != 0 {
		t.Fatalf("closeAll: closed %v, %d idle", closed, len(p.idle))
	}
}

type closeRecorder struct {
	net.Conn
	onClose func()
}

func (c closeRecorder) Close() error { c.onClose(); return c.Conn.Close() }

func TestAnAnswerSentUnaskedOnAnIdleConnectionIsNotTakenForTheNext(t *testing.T) {
	idle, timedOut := make(chan struct{}), make(chan struct{})
	addr := rawServer(t, func(n int, c net.Conn) {
		br := bufio.NewReader(c)
		for readRequest(br) != nil {
			io.WriteString(c, okResponse)
			if n == 0 { // then its keep-alive timeout, as some servers end one
				<-idle
				io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
				close(timedOut)
				return
			}
		}
	})
	u := newUpstream(t, addr, 4)
	if _, body := get(t, u, "http://"+addr+"/"); body != "ok" {
		t.Fatalf("first answer: %q", body)
	}
	close(idle) // the connection is back in the pool
	<-timedOut
	if res, body := get(t, u, "http://"+addr+"/"); res.StatusCode != 200 || body != "ok" || u.dials.Load() != 2 {
		t.Fatalf("next request: %d %q after %d dials, want 200 ok on a new connection", res.StatusCode, body, u.dials.Load())
	}
}

func TestAMalformedAnswerIsAnErrorAndItsConnectionIsDropped(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) {
		br := bufio.NewReader(c)
		for req := readRequest(br); req != nil; req = readRequest(br) {
			if req.URL.Path == "/bad" {
				io.WriteString(c, "HTTP/1.1 two hundred\r\n\r\n")
				continue
			}
			io.WriteString(c, okResponse)
		}
	})
	u := newUpstream(t, addr, 4)
	get(t, u, "http://"+addr+"/")
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/bad", nil)
	if _, err := u.RoundTrip(req); err == nil || errors.Is(err, errNothingRead) || !strings.Contains(err.Error(), "malformed HTTP status code") {
		t.Fatalf("err = %v, want the malformed status, not sent again", err)
	}
	if _, body := get(t, u, "http://"+addr+"/"); body != "ok" || u.dials.Load() != 2 {
		t.Fatalf("next: %q after %d dials, want ok on a new connection", body, u.dials.Load())
	}
}
