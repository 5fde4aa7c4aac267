package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// readEvent reads one server-sent event (up to its blank line).
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var ev strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading event: got %q then %v", ev.String()+line, err)
		}
		if line == "\n" {
			return ev.String()
		}
		ev.WriteString(line)
	}
}

func TestServerSentEventsArriveOneByOne(t *testing.T) {
	next := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "id: 1\ndata: hello %s\n\n", r.Header.Get(HeaderUser))
		_ = http.NewResponseController(w).Flush()
		select { // the second event waits until the client has read the first
		case <-next:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "id: 2\ndata: second\n\n")
	})
	f := newFixture(t, fixtureOptions{upstream: up})
	b := f.browser()
	b.signIn("/")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := b.request(http.MethodGet, "/events", "text/event-stream", nil).WithContext(ctx)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("got %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	if got, want := readEvent(t, r), "id: 1\ndata: hello alice\n"; got != want {
		t.Errorf("first event: got %q, want %q", got, want)
	}
	close(next)
	if got, want := readEvent(t, r), "id: 2\ndata: second\n"; got != want {
		t.Errorf("second event: got %q, want %q", got, want)
	}
}

// echoUpgrade accepts a websocket-style upgrade and echoes raw bytes until EOF. Its
// 101 response names the user the gateway vouched for.
func echoUpgrade(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "upgrade required", http.StatusUpgradeRequired)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-User: %s\r\n\r\n", r.Header.Get(HeaderUser))
	if brw.Flush() == nil {
		_, _ = io.Copy(conn, brw)
	}
}

// dialUpgrade sends an upgrade request for path over a raw connection with cookies
// and returns the response and the connection to keep talking on.
func dialUpgrade(t *testing.T, b *browser, path string, signedIn bool) (*http.Response, net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", b.f.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := b.request(http.MethodGet, path, "", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set(HeaderUser, "mallory")
	if signedIn {
		for _, c := range b.jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
	}
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("reading the upgrade response: %v", err)
	}
	return resp, conn, br
}

func TestUpgradeTunnel(t *testing.T) {
	f := newFixture(t, fixtureOptions{upstream: http.HandlerFunc(echoUpgrade)})
	b := f.browser()
	b.signIn("/")

	resp, conn, br := dialUpgrade(t, b, "/ws", true)
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Fatalf("upgrade: got %d Upgrade %q, want 101 websocket", resp.StatusCode, resp.Header.Get("Upgrade"))
	}
	if got := resp.Header.Get("X-Seen-User"); got != "alice" {
		t.Errorf("user the upstream saw on the upgrade: got %q, want alice", got)
	}
	for _, msg := range []string{"hello", "\x00\x01binary\xff\r\n", strings.Repeat("x", 100_000)} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatalf("write: %v", err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(br, got); err != nil {
			t.Fatalf("read echo of %d bytes: %v", len(msg), err)
		}
		if string(got) != msg {
			t.Errorf("echo: got %q, want %q", trim(string(got)), trim(msg))
		}
	}

	conn.Close()
	line := f.logs.waitFor(t, "request", func(r map[string]any) bool { return r["path"] == "/ws" })
	if line["status"] != float64(http.StatusSwitchingProtocols) {
		t.Errorf("access log status of the tunnel: got %v, want 101", line["status"])
	}
	// Without a session the upgrade never reaches the upstream.
	resp, _, _ = dialUpgrade(t, f.browser(), "/ws", false)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("upgrade without a session: got %d, want 401", resp.StatusCode)
	}
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TestResponseStreamsWhileTheRequestBodyIsStillArriving: an upstream that answers
// before the request body has ended (an MCP tool call that starts streaming at once)
// reaches the client while the client is still sending. Without full duplex, net/http
// would hold the response until it had read the rest of the body — or close the body
// under the proxy and cut the stream.
func TestResponseStreamsWhileTheRequestBodyIsStillArriving(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex() // the application streams both ways too
		first, err := bufio.NewReader(r.Body).ReadString('\n')
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, "data: got %s\n", first) // first ends in its own newline
		_ = http.NewResponseController(w).Flush()
		rest, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		fmt.Fprintf(w, "data: then %d bytes\n\n", len(rest))
	})
	f := newFixture(t, fixtureOptions{upstream: up})
	b := f.browser()
	b.signIn("/")

	body, send := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer send.Close()
	stop := context.AfterFunc(ctx, func() { send.CloseWithError(ctx.Err()) }) // never hang on a stuck body
	defer stop()
	go func() { _, _ = io.WriteString(send, "first line\n") }()
	resp, err := b.c.Do(b.request(http.MethodPost, "/mcp", "text/event-stream", body).WithContext(ctx))
	if err != nil {
		t.Fatalf("POST /mcp with the request body still open: %v (the response waited for the body)", err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if got, want := readEvent(t, r), "data: got first line\n"; got != want {
		t.Fatalf("first event: got %q, want %q", got, want)
	}
	if _, err := io.WriteString(send, "the rest"); err != nil {
		t.Fatalf("sending the rest of the body after the first event: %v", err)
	}
	send.Close()
	if got, want := readEvent(t, r), "data: then 8 bytes\n"; got != want {
		t.Errorf("second event: got %q, want %q", got, want)
	}
}
